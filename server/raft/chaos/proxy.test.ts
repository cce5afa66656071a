/**
 * LinkProxy on loopback: forwards, refuses while reset, swallows bytes silently while blackholed
 * (the connection stays up), and after a restore carries a clean stream again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { LinkProxy } from './proxy';

/** An echo server on a free port. */
async function startEcho(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

/** Connects and resolves once connected. */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with the next data chunk, or with 'closed' when the socket closes first. */
function nextEvent(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8')));
    socket.once('close', () => resolve('closed'));
  });
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe('LinkProxy', () => {
  it('forwards both ways while open', async () => {
    const echo = await startEcho();
    cleanup.push(() => void echo.server.close());
    const proxy = await LinkProxy.start(echo.port);
    cleanup.push(() => proxy.close());
    const socket = await open(proxy.port);
    cleanup.push(() => void socket.destroy());
    const reply = nextEvent(socket);
    socket.write('hello');
    expect(await reply).toBe('hello');
  });

  it('reset closes live connections and refuses new ones until restored', async () => {
    const echo = await startEcho();
    cleanup.push(() => void echo.server.close());
    const proxy = await LinkProxy.start(echo.port);
    cleanup.push(() => proxy.close());
    const socket = await open(proxy.port);
    const closed = nextEvent(socket);
    proxy.setMode('reset');
    expect(await closed).toBe('closed');
    const refused = await open(proxy.port);
    expect(await nextEvent(refused)).toBe('closed');
    proxy.setMode('open');
    const again = await open(proxy.port);
    cleanup.push(() => void again.destroy());
    const reply = nextEvent(again);
    again.write('back');
    expect(await reply).toBe('back');
  });

  it('blackhole drops bytes silently, then the restore closes the damaged stream', async () => {
    const echo = await startEcho();
    cleanup.push(() => void echo.server.close());
    const proxy = await LinkProxy.start(echo.port);
    cleanup.push(() => proxy.close());
    const socket = await open(proxy.port);
    proxy.setMode('blackhole');
    const events: string[] = [];
    socket.on('data', (chunk: Buffer) => events.push(chunk.toString('utf8')));
    socket.write('lost');
    // A round trip through a fresh blackholed connection shows the proxy has handled the write.
    const probe = await open(proxy.port);
    cleanup.push(() => void probe.destroy());
    const closed = nextEvent(socket);
    proxy.setMode('open');
    expect(await closed).toBe('closed');
    expect(events).toEqual([]);
    expect(proxy.accepted).toBe(2);
  });
});
