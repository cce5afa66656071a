/**
 * Test helpers for the durability tests: a `Typist` types numbered tokens into a `Doc` through a
 * relay (`SyncClient`) and records which of them the relay has acknowledged as durable: a token
 * is acknowledged once an `ack` vector covers its last clock unit for this replica. Acknowledged
 * tokens are remembered across reconnects (a new socket to a restarted relay starts a new session).
 */
import { Doc, decodeStateVector } from '../../lib/crdt';
import type { DocId } from '../../lib/sync/protocol';
import { SyncClient } from './test-client';

/** One typed token and the clock of this replica after it. */
interface TypedToken {
  readonly token: string;
  readonly clockEnd: number;
}

/** Types tokens, tracks acknowledgements; see the module comment. */
export class Typist {
  readonly doc: Doc;
  client: SyncClient<Doc> | null = null;
  private readonly typed: TypedToken[] = [];
  /** Tokens an `ack` has covered. */
  readonly acknowledged = new Set<string>();
  /** Number of `ack` messages seen with a vector that covered something new. */
  acksSeen = 0;
  private unsubscribe: (() => void) | null = null;

  constructor(
    readonly name: string,
    replicaId: number,
    readonly docId: DocId,
  ) {
    this.doc = new Doc({ replicaId });
  }

  /** Opens a new session to `relayUrl` (ws://host:port) with the same document; resolves once live. */
  async connect(relayUrl: string, timeoutMs = 10_000): Promise<void> {
    this.unsubscribe?.();
    const client = new SyncClient(this.doc, this.docId, `${relayUrl}/doc/${this.docId}`, this.name);
    this.client = client;
    let lastVector: Uint8Array | null = null;
    this.unsubscribe = client.subscribe(() => {
      const vector = client.session.durableStateVector;
      if (vector === null || vector === lastVector) return;
      lastVector = vector;
      this.observeDurable(vector);
    });
    await client.connect(timeoutMs);
  }

  /** Appends `token` to the body in one transaction; sends it when live (else the next handshake does). */
  type(token: string): void {
    let update: Uint8Array | null = null;
    const off = this.doc.on('update', (bytes: Uint8Array) => {
      update = bytes;
    });
    try {
      this.doc.transact(() => {
        const text = this.doc.getText('body');
        text.insert(text.length, token);
      });
    } finally {
      off();
    }
    this.typed.push({ token, clockEnd: this.doc.stateVector().get(this.doc.replicaId) ?? 0 });
    if (update !== null && this.client !== null) this.client.localUpdate(update);
  }

  /** Every token typed so far. */
  tokens(): string[] {
    return this.typed.map((t) => t.token);
  }

  /** True when every typed token is acknowledged. */
  allAcknowledged(): boolean {
    return this.typed.every((t) => this.acknowledged.has(t.token));
  }

  /** Waits until the current session's socket event makes `check` true. */
  waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (this.client === null) throw new Error(`${this.name} is not connected`);
    return this.client.waitFor(check, `${this.name}: ${what}`, timeoutMs);
  }

  /** Closes the current socket (without waiting when it is already gone). */
  async disconnect(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    const client = this.client;
    this.client = null;
    if (client !== null && client.session.phase !== 'disconnected') await client.disconnect(5000).catch(() => {});
  }

  private observeDurable(vector: Uint8Array): void {
    const durable = decodeStateVector(vector).get(this.doc.replicaId) ?? 0;
    let grew = false;
    for (const typed of this.typed) {
      if (typed.clockEnd <= durable && !this.acknowledged.has(typed.token)) {
        this.acknowledged.add(typed.token);
        grew = true;
      }
    }
    if (grew) this.acksSeen++;
  }
}

/** The tokens of `expected` missing from `text`. */
export function missingTokens(text: string, expected: Iterable<string>): string[] {
  return [...expected].filter((token) => !text.includes(token));
}

/** Polls `check` every 10 ms until it holds; rejects after `timeoutMs` (for state no event announces). */
export async function pollUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError === undefined ? '' : ` (${String(lastError)})`}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
