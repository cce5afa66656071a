import { HomeView } from '../components/HomeView';
import { readClientConfig } from '../lib/client/config';

/** Read TANDEM_RELAY_URL per request, not at build time. */
export const dynamic = 'force-dynamic';

/** `/`: documents on the relay, documents opened recently, and a way to start a new one. */
export default function HomePage() {
  const config = readClientConfig(process.env);
  return <HomeView relayUrls={[...config.relayUrls]} />;
}
