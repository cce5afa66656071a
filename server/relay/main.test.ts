import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/sync/errors';
import { CloseCode, hello, parseDocId } from '../../lib/sync/protocol';
import { RawClient, WaitTimeoutError } from './test-client';

const root = fileURLToPath(new URL('../..', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts main.ts and resolves with the URL it prints (bounded wait on its output). */
function startMain(args: string[], timeoutMs = 20_000): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/relay/main.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new WaitTimeoutError(`main.ts did not print its URL in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /relay listening on (ws:\/\/[^\s]+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`main.ts exited with ${code}:\n${output}`));
    });
  });
}

function exited(child: ChildProcess, timeoutMs = 10_000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new WaitTimeoutError('main.ts did not exit')), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('relay process (main.ts)', () => {
  it('prints its ws:// URL on 127.0.0.1, serves clients, and on SIGTERM closes them with 1001 and exits 0', async () => {
    const { child, url } = await startMain(['--port', '0', '--host', '127.0.0.1']);
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const health = (await (await fetch(`${url.replace('ws:', 'http:')}/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');
    const client = await RawClient.open(url);
    client.send(hello(parseDocId('main-test'), new Uint8Array([0])));
    await client.waitFor(() => client.messages.some((m) => m.type === 'sync'), 'sync');
    child.kill('SIGTERM');
    expect((await client.closed()).code).toBe(CloseCode.goingAway);
    expect(client.messages.at(-1)).toMatchObject({ type: 'error', code: ErrorCode.shuttingDown });
    expect(await exited(child)).toBe(0);
  });

  it('exits 2 with a message on a bad flag', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/relay/main.ts', '--port', 'nope'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exited(child)).toBe(2);
    expect(stderr).toContain('--port');
  });
});
