// The one start command (`npm run up`): installs dependencies when needed, builds the web app when
// its sources changed, then runs the whole local stack on embedded defaults and prints the URL:
// 3 Raft nodes (the persistence group, data in $TANDEM_DATA/raft-N), then the relay with --raft
// once every node printed its ready line, then the web app. Output lines carry the service name.
// Ctrl+C stops the web app and the relay first (the relay persists what it still holds), then the
// nodes with SIGTERM (a leader hands over leadership). Every address is configurable through the
// environment (see README.md): TANDEM_HOST, TANDEM_WEB_PORT, TANDEM_RELAY_PORT, TANDEM_DATA,
// TANDEM_RAFT_PORT (first node's client port, default 7101: nodes use 7101..7103) and
// TANDEM_RAFT_PEER_PORT (first node's Raft port, default 7001).
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
const raftClientPort = Number(process.env.TANDEM_RAFT_PORT ?? 7101);
const raftPeerPort = Number(process.env.TANDEM_RAFT_PEER_PORT ?? 7001);
const RAFT_NODES = 3;
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 6_000;
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
// TANDEM_NO_BUILD=1 runs the existing build as it is (e.g. while others edit the sources).
if (process.env.TANDEM_NO_BUILD !== '1' && (!existsSync(buildId) || newestSourceTime(sources) > statSync(buildId).mtimeMs)) {
  runStep('building the web app (next build)', bin('next'), ['build']);
}
mkdirSync(dataDir, { recursive: true });

/** Running services, in start order: { name, child, onStdout }. */
const services = [];
let stopping = false;

/**
 * Starts one long-running service (`node --import tsx` or a binary), prefixing its output lines
 * with its name. Services run in their own process group (`detached`), so a terminal Ctrl+C
 * reaches only the launcher, which stops them in order.
 */
function startService(name, command, args, env = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const service = { name, child, lineListeners: new Set() };
  const prefix = (stream, out, notify) => {
    let buffered = '';
    stream.on('data', (chunk) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        out.write(`[${name}] ${line}\n`);
        if (notify) for (const listener of [...service.lineListeners]) listener(line);
      }
    });
  };
  prefix(child.stdout, process.stdout, true);
  prefix(child.stderr, process.stderr, false);
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`[${name}] exited (${code ?? signal}); stopping the stack`);
    void stopAll(1);
  });
  services.push(service);
  return service;
}

/** Resolves when the service prints a stdout line matching `pattern`; rejects on exit or timeout. */
function waitForLine(service, pattern, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      service.lineListeners.delete(onLine);
      reject(new Error(`${service.name}: no ${what} within ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    const onLine = (line) => {
      if (!pattern.test(line)) return;
      clearTimeout(timer);
      service.lineListeners.delete(onLine);
      resolve(line);
    };
    service.lineListeners.add(onLine);
    service.child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${service.name} exited (${code ?? signal}) before its ${what}`));
    });
  });
}

const running = (service) => service.child.exitCode === null && service.child.signalCode === null;

/** Sends `signal` to the services and waits for them to exit (SIGKILL after STOP_TIMEOUT_MS). */
async function stopServices(list, signal) {
  await Promise.all(
    list.filter(running).map(
      (service) =>
        new Promise((resolve) => {
          const timer = setTimeout(() => {
            console.error(`[${service.name}] did not stop within ${STOP_TIMEOUT_MS} ms; killing it`);
            service.child.kill('SIGKILL');
          }, STOP_TIMEOUT_MS);
          service.child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          service.child.kill(signal);
        }),
    ),
  );
}

/** Stops the web app and the relay (which persists what it holds), then the Raft nodes (SIGTERM: leadership handover). */
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping: web, relay, then the Raft nodes');
  const nodes = services.filter((service) => service.name.startsWith('raft-'));
  await stopServices(services.filter((service) => !nodes.includes(service)), 'SIGTERM');
  await stopServices(nodes, 'SIGTERM');
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));
process.on('SIGHUP', () => void stopAll(0));
// Last resort (the launcher crashing): nothing it started outlives it.
process.on('exit', () => {
  for (const service of services) if (running(service)) service.child.kill('SIGKILL');
});

const tsxNode = (script, args) => [process.execPath, ['--import', 'tsx', script, ...args]];

const ids = Array.from({ length: RAFT_NODES }, (_, k) => k + 1);
const peers = ids.map((id) => `${id}=${host}:${raftPeerPort + id - 1}`).join(',');
const clients = ids.map((id) => `${id}=${host}:${raftClientPort + id - 1}`).join(',');
const raftAddresses = ids.map((id) => `${host}:${raftClientPort + id - 1}`).join(',');
const relayUrl = `ws://${host}:${relayPort}`;

try {
  const nodes = ids.map((id) =>
    startService(
      `raft-${id}`,
      ...tsxNode('server/raft/node/main.ts', [
        '--id', String(id), '--peers', peers, '--clients', clients,
        '--data', join(dataDir, `raft-${id}`), '--host', host, '--port', String(raftClientPort + id - 1),
      ]),
    ),
  );
  await Promise.all(nodes.map((node) => waitForLine(node, / ready: /, 'ready line')));
  const relay = startService('relay', ...tsxNode('server/relay/main.ts', ['--host', host, '--port', String(relayPort), '--raft', raftAddresses]));
  await waitForLine(relay, /^relay listening on /, 'listening line');
  const web = startService('web', bin('next'), ['start', '-H', host, '-p', String(webPort)], { TANDEM_RELAY_URL: relayUrl, TANDEM_RAFT_NODES: raftAddresses });
  await waitForLine(web, /Ready|started server|Local:/i, 'ready line').catch(() => {});
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  await stopAll(1);
}

if (!stopping) {
  console.log(
    `\nTandem is running. Open http://${host}:${webPort}\n` +
      `  relay ${relayUrl}, Raft group ${raftAddresses}, data in ${dataDir}\nPress Ctrl+C to stop.\n`,
  );
}
