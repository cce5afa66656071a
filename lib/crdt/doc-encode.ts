/**
 * Turning the document's stored state back into update operations (for `diff`, `encode` and the
 * per-transaction `update` event), in canonical form: adjacent skips merged, text runs as the
 * sequence's canonical `runsOf`, overlapping (pending) operations trimmed.
 */
import type { ReplicaLog } from './doc-log';
import { opLength, type Op } from './update-codec';

/** Appends the operations of `log` covering clocks `[from, to)` to `out`. */
export function collectLogOps(log: ReplicaLog, from: number, to: number, out: Op[]): void {
  if (from >= to) return;
  const replica = log.replica;
  for (let i = Math.max(0, log.indexOf(from)); i < log.entries.length; i++) {
    const entry = log.entries[i]!;
    if (entry.clock >= to) break;
    const start = Math.max(from, entry.clock);
    const end = Math.min(to, entry.clock + entry.length);
    if (end <= start) continue;
    switch (entry.kind) {
      case 'text':
        for (const run of entry.field.sequence.runsOf(replica, start, end)) appendOp(out, { kind: 'insert', clock: run.clock, field: entry.field, run });
        break;
      case 'skip':
        appendOp(out, { kind: 'skip', clock: start, length: end - start });
        break;
      case 'add':
        appendOp(out, { kind: 'add', clock: entry.clock, field: entry.field, value: entry.add.value });
        break;
      case 'mapSet':
        appendOp(out, { kind: 'mapSet', clock: entry.clock, field: entry.field, key: entry.write.key, value: entry.write.value, ts: entry.write.ts });
        break;
      case 'registerSet':
        appendOp(out, { kind: 'registerSet', clock: entry.clock, field: entry.field, value: entry.write.value ?? null, ts: entry.write.ts });
        break;
      case 'counterAdd':
        appendOp(out, { kind: 'counterAdd', clock: entry.clock, field: entry.field, delta: entry.delta });
        break;
    }
  }
}

/**
 * Appends `op` to a clock-ordered op list: drops it when already covered, trims its front when it
 * overlaps the last op, and merges contiguous skips.
 */
export function appendOp(out: Op[], op: Op): void {
  const last = out[out.length - 1];
  if (last !== undefined) {
    const lastEnd = last.clock + opLength(last);
    if (op.clock + opLength(op) <= lastEnd) return;
    if (op.clock < lastEnd) op = trimFront(op, lastEnd);
    if (op.kind === 'skip' && last.kind === 'skip' && lastEnd === op.clock) {
      out[out.length - 1] = { kind: 'skip', clock: last.clock, length: last.length + op.length };
      return;
    }
  }
  out.push(op);
}

/** The part of a multi-unit op (insert or skip) from `clock` on. Requires `op.clock < clock < end`. */
export function trimFront(op: Op, clock: number): Op {
  const cut = clock - op.clock;
  if (op.kind === 'skip') return { kind: 'skip', clock, length: op.length - cut };
  if (op.kind === 'insert') {
    const { run } = op;
    return {
      kind: 'insert',
      clock,
      field: op.field,
      run: {
        replica: run.replica,
        clock,
        length: run.length - cut,
        originLeft: { replica: run.replica, clock: clock - 1 },
        originRight: run.originRight,
        content: run.content === null ? null : run.content.slice(cut),
      },
    };
  }
  return op;
}

/** Appends the non-text operations of `log` (skips, set adds, LWW writes, counter adds) to `out`, in clock order. */
export function collectNonTextOps(log: ReplicaLog, out: Op[]): void {
  for (const entry of log.entries) {
    if (entry.kind !== 'text') collectLogOps(log, entry.clock, entry.clock + entry.length, out);
  }
}
