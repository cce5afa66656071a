/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  // Types are checked by `npm run typecheck` (TypeScript 7 has no compiler API for Next to call).
  typescript: { ignoreBuildErrors: true },
  serverExternalPackages: ['@automerge/automerge'],
  devIndicators: false,
};
export default nextConfig;
