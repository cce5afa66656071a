import { defineConfig, devices } from '@playwright/test';

/**
 * End-to-end tests against the last `next build` (`next start`), a real relay and a real 3-node
 * Raft group behind it (fresh data under `data/e2e/` each run), in Debian's Chromium
 * (`npx playwright install` is not available here).
 */
const RELAY_PORT = 4199;
const WEB_PORT = 3199;
const RAFT_NODES = [1, 2, 3];
const raftPeerPort = (id: number) => 7090 + id;
const raftClientPort = (id: number) => 7190 + id;
const raftPeers = RAFT_NODES.map((id) => `${id}=127.0.0.1:${raftPeerPort(id)}`).join(',');
const raftClients = RAFT_NODES.map((id) => `${id}=127.0.0.1:${raftClientPort(id)}`).join(',');
const raftNodeServers = RAFT_NODES.map((id) => ({
  command:
    `rm -rf data/e2e/raft-${id} && npx tsx server/raft/node/main.ts --id ${id} --peers ${raftPeers} ` +
    `--clients ${raftClients} --data data/e2e/raft-${id} --port ${raftClientPort(id)}`,
  port: raftClientPort(id),
  reuseExistingServer: false,
  timeout: 60_000,
  stdout: 'pipe' as const,
  stderr: 'pipe' as const,
}));

export default defineConfig({
  testDir: './e2e',
  testMatch: '**/*.spec.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['json', { outputFile: '.reports/playwright.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${WEB_PORT}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'] } }],
  webServer: [
    ...raftNodeServers,
    {
      command:
        `npx tsx server/relay/main.ts --port ${RELAY_PORT} --host 127.0.0.1 ` +
        `--raft ${RAFT_NODES.map((id) => `127.0.0.1:${raftClientPort(id)}`).join(',')}`,
      port: RELAY_PORT,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
    },
    {
      command: `npx next start -H 127.0.0.1 -p ${WEB_PORT}`,
      url: `http://127.0.0.1:${WEB_PORT}`,
      env: { TANDEM_RELAY_URL: `ws://127.0.0.1:${RELAY_PORT}` },
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'pipe',
      stderr: 'pipe',
    },
  ],
});
