/**
 * `LogDoc`: a tiny in-memory CRDT document (a grow-only set of strings, one operation per clock
 * unit) that implements `SyncDoc` with the same update semantics as the real `Doc`: per-replica
 * clocks without gaps, `diff(sv)`, idempotent and order-insensitive `apply` that buffers operations
 * whose predecessors have not arrived, and validation that throws before changing anything.
 *
 * It exists so the protocol and the relay can be tested independently of lib/crdt; the same
 * scenarios also run against `Doc`.
 */
import { WireReader, WireWriter } from './wire';
import type { SyncDoc } from './room';

/** Thrown by `LogDoc` on bytes it cannot decode. */
export class LogDocDecodeError extends Error {
  override readonly name = 'LogDocDecodeError';
}

interface Operation {
  readonly replica: number;
  readonly clock: number;
  readonly value: string;
}

type Listener = (update: Uint8Array) => void;

export class LogDoc implements SyncDoc {
  /** Integrated operations per replica. Invariant: `log.get(r)[i].clock === i`. */
  private readonly log = new Map<number, Operation[]>();
  /** Operations whose previous clock is missing, keyed `replica:clock`. */
  private readonly pending = new Map<string, Operation>();
  private readonly listeners: Listener[] = [];

  constructor(readonly replicaId: number) {}

  /** Adds a value locally; emits and returns the update. */
  add(value: string): Uint8Array {
    const ops = this.log.get(this.replicaId) ?? [];
    const op = { replica: this.replicaId, clock: ops.length, value };
    ops.push(op);
    this.log.set(this.replicaId, ops);
    const update = encodeOperations([op]);
    for (const listener of this.listeners) listener(update);
    return update;
  }

  /** Subscribes to local updates. */
  onUpdate(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** The sorted values (visible state). */
  values(): string[] {
    return [...this.log.values()].flat().map((op) => op.value).sort();
  }

  stateVectorMap(): Map<number, number> {
    return new Map([...this.log].map(([replica, ops]) => [replica, ops.length]));
  }

  pendingCount(): number {
    return this.pending.size;
  }

  encodeStateVector(): Uint8Array {
    const writer = new WireWriter();
    const entries = [...this.log].sort(([a], [b]) => a - b);
    writer.writeVarUint(entries.length);
    for (const [replica, ops] of entries) {
      writer.writeVarUint(replica);
      writer.writeVarUint(ops.length);
    }
    return writer.finish();
  }

  diff(stateVector: Uint8Array): Uint8Array {
    const known = decodeStateVector(stateVector);
    const ops: Operation[] = [];
    for (const [replica, log] of this.log) ops.push(...log.slice(known.get(replica) ?? 0));
    return encodeOperations(ops);
  }

  apply(update: Uint8Array): void {
    const ops = decodeOperations(update); // throws before any change
    for (const op of ops) this.pending.set(`${op.replica}:${op.clock}`, op);
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const [key, op] of this.pending) {
        const log = this.log.get(op.replica) ?? [];
        if (op.clock < log.length) this.pending.delete(key);
        else if (op.clock === log.length) {
          log.push(op);
          this.log.set(op.replica, log);
          this.pending.delete(key);
          progressed = true;
        }
      }
    }
  }
}

function wrap<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new LogDocDecodeError(error instanceof Error ? error.message : String(error));
  }
}

function decodeStateVector(bytes: Uint8Array): Map<number, number> {
  return wrap(() => {
    const reader = new WireReader(bytes);
    const count = reader.readBoundedVarUint(1 << 20, 'entries');
    const vector = new Map<number, number>();
    for (let index = 0; index < count; index++) vector.set(reader.readVarUint(), reader.readVarUint());
    reader.expectEnd();
    return vector;
  });
}

function encodeOperations(ops: readonly Operation[]): Uint8Array {
  const writer = new WireWriter();
  writer.writeVarUint(ops.length);
  for (const op of ops) {
    writer.writeVarUint(op.replica);
    writer.writeVarUint(op.clock);
    writer.writeString(op.value);
  }
  return writer.finish();
}

function decodeOperations(bytes: Uint8Array): Operation[] {
  return wrap(() => {
    const reader = new WireReader(bytes);
    const count = reader.readBoundedVarUint(1 << 20, 'operations');
    const ops: Operation[] = [];
    for (let index = 0; index < count; index++) {
      ops.push({ replica: reader.readVarUint(), clock: reader.readVarUint(), value: reader.readString(1 << 22, 'value') });
    }
    reader.expectEnd();
    return ops;
  });
}
