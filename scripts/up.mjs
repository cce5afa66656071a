// The one start command (`npm run up`): installs dependencies when needed, builds the web app when
// its sources changed, then runs the whole local stack on embedded defaults and prints the URL.
// Every address is configurable through the environment (see README.md).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
process.chdir(root);

const host = process.env.TANDEM_HOST ?? '127.0.0.1';
const webPort = Number(process.env.TANDEM_WEB_PORT ?? 3000);
const relayPort = Number(process.env.TANDEM_RELAY_PORT ?? 4100);
const dataDir = resolve(process.env.TANDEM_DATA ?? join(root, 'data'));
const bin = (name) => join(root, 'node_modules', '.bin', name);

/** Runs a shell step to completion, streaming its output; exits the launcher when it fails. */
function runStep(label, command, args, env = {}) {
  console.log(`==> ${label}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`error: ${label} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

/** Newest modification time of any file below the given folders (skipping node_modules). */
function newestSourceTime(folders) {
  let newest = 0;
  const visit = (path) => {
    const info = statSync(path);
    if (info.isDirectory()) {
      for (const name of readdirSync(path)) if (name !== 'node_modules' && !name.startsWith('.')) visit(join(path, name));
    } else newest = Math.max(newest, info.mtimeMs);
  };
  for (const folder of folders) if (existsSync(folder)) visit(folder);
  return newest;
}

runStep('checking dependencies', 'bash', ['-c', '. scripts/lib.sh && ensure_deps']);
const buildId = join(root, '.next', 'BUILD_ID');
const sources = ['app', 'components', 'lib', 'public', 'next.config.js', 'package-lock.json'];
if (!existsSync(buildId) || newestSourceTime(sources) > statSync(buildId).mtimeMs) {
  runStep('building the web app (next build)', bin('next'), ['build']);
}
mkdirSync(dataDir, { recursive: true });

const children = [];
let stopping = false;

/** Starts one long-running service, prefixing its output lines with its name. */
function startService(name, command, args, env) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (stream, out) => {
    let buffered = '';
    stream.on('data', (chunk) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) out.write(`[${name}] ${line}\n`);
    });
  };
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`[${name}] exited (${code ?? signal}); stopping the stack`);
    stopAll(1);
  });
  children.push(child);
  return child;
}

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 1500).unref();
  Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.on('exit', r))))).then(() => process.exit(code));
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

const relayUrl = `ws://${host}:${relayPort}`;
startService('relay', bin('tsx'), ['server/relay/main.ts', '--host', host, '--port', String(relayPort)], { TANDEM_DATA: dataDir });
startService('web', bin('next'), ['start', '-H', host, '-p', String(webPort)], { TANDEM_RELAY_URL: relayUrl });

console.log(`\nTandem is starting. Open http://${host}:${webPort}  (relay ${relayUrl}, data in ${dataDir})\nPress Ctrl+C to stop.\n`);
