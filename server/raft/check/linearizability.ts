/**
 * A linearizability checker in the style of Porcupine: Wing & Gong's search with Lowe's
 * memoisation (never revisit a (set of linearized operations, model state) pair), over a doubly
 * linked list of call/return events, and Porcupine's partitioning of a history into independent
 * sub-histories when the model allows it.
 *
 * The search walks the events in time order. At a call it tries to linearize that operation now
 * (the model accepts its output from the current state, and the resulting configuration is new):
 * the call and its return are lifted out of the list and the walk restarts from the head. At a
 * return whose operation is not yet linearized, the current choice is wrong: it backtracks the
 * latest linearization and tries the next call after it. The history is linearizable when the list
 * empties, and not when a return is reached with nothing left to backtrack.
 *
 * An operation that never returned gets a return at +infinity: it may be linearized anywhere after
 * its call, including after every other operation, which is the same as never taking effect.
 */
import type { Model, Operation, Outcome } from './model';
import { mix32 } from './model';

/** The longest partial linearization found, and the operation that could not be placed after it. */
export interface Counterexample<I, O> {
  /** The sub-history (partition) that is not linearizable, in call order. */
  readonly operations: readonly Operation<I, O>[];
  /** The longest sequence of operations the search could linearize, in linearization order. */
  readonly longestPrefix: readonly Operation<I, O>[];
  /** An operation whose return was reached while it could not be linearized after that prefix. */
  readonly blocked: Operation<I, O>;
  /** A readable account of the above. */
  readonly message: string;
}

/** The checker's verdict. */
export type CheckResult<I, O> =
  | { readonly verdict: 'linearizable'; readonly partitions: number; readonly steps: number }
  | {
      readonly verdict: 'not-linearizable';
      readonly partitions: number;
      readonly steps: number;
      readonly counterexample: Counterexample<I, O>;
    }
  /** The budget ran out before an answer (no partition was found illegal). */
  | { readonly verdict: 'unknown'; readonly partitions: number; readonly steps: number; readonly reason: string };

/** Limits of one check. */
export interface CheckOptions {
  /** Wall-clock budget for the whole history (ms); default 10 000. */
  readonly timeoutMs?: number;
  /** Search-step budget for the whole history; default unlimited. */
  readonly maxSteps?: number;
  /** The clock for the time budget (ms); default `performance.now`. */
  readonly now?: () => number;
}

/** A call or return event in the search's list. */
interface Event {
  readonly op: number;
  readonly time: number;
  /** For a call: its return event; null for a return. */
  readonly match: Event | null;
  prev: Event | null;
  next: Event | null;
}

/** A growable bitset of linearized operations with an incrementally kept Zobrist hash. */
class LinearizedSet {
  readonly words: Uint32Array;
  hash = 0;
  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32) + 1);
  }
  toggle(op: number): void {
    this.words[op >>> 5]! ^= 1 << (op & 31);
    this.hash = (this.hash ^ mix32(op)) >>> 0;
  }
  equalWords(other: Uint32Array): boolean {
    for (let i = 0; i < other.length; i++) if (this.words[i] !== other[i]) return false;
    return true;
  }
}

interface CacheEntry<S> {
  readonly words: Uint32Array;
  readonly state: S;
}

type PartitionResult<I, O> =
  | { readonly kind: 'ok'; readonly steps: number }
  | { readonly kind: 'illegal'; readonly steps: number; readonly counterexample: Counterexample<I, O> }
  | { readonly kind: 'budget'; readonly steps: number };

/** Checks a history against a sequential model. */
export function checkLinearizable<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<I, O> {
  const now = options.now ?? (() => performance.now());
  const deadline = now() + (options.timeoutMs ?? 10_000);
  let stepsLeft = options.maxSteps ?? Number.POSITIVE_INFINITY;
  const normalized = model.normalize ? model.normalize(history) : history;
  const relevant = normalized.filter((op) => op.outcome.known || !(model.isReadOnly?.(op.input) ?? false));
  const partitions = model.partition ? model.partition(relevant) : [relevant];
  let steps = 0;
  let exhausted = false;
  for (const part of partitions) {
    const result = checkPartition(model, part, { deadline, now, stepsLeft });
    steps += result.steps;
    stepsLeft -= result.steps;
    if (result.kind === 'illegal') {
      return { verdict: 'not-linearizable', partitions: partitions.length, steps, counterexample: result.counterexample };
    }
    if (result.kind === 'budget') exhausted = true;
  }
  if (exhausted) {
    return { verdict: 'unknown', partitions: partitions.length, steps, reason: 'time or step budget exhausted' };
  }
  return { verdict: 'linearizable', partitions: partitions.length, steps };
}

/** Builds the time-ordered event list: calls before returns at equal times (they overlap). */
function buildEvents<I, O>(operations: readonly Operation<I, O>[]): Event {
  const events: { event: Event; isCall: boolean }[] = [];
  operations.forEach((op, index) => {
    // An operation that never returned may take effect at any later time.
    const returnTime = op.return ?? Number.POSITIVE_INFINITY;
    if (returnTime < op.call) throw new RangeError(`operation ${index} returns (${returnTime}) before its call (${op.call})`);
    const returned: Event = { op: index, time: returnTime, match: null, prev: null, next: null };
    const called: Event = { op: index, time: op.call, match: returned, prev: null, next: null };
    events.push({ event: called, isCall: true }, { event: returned, isCall: false });
  });
  events.sort((a, b) => a.event.time - b.event.time || Number(!a.isCall) - Number(!b.isCall) || a.event.op - b.event.op);
  const head: Event = { op: -1, time: Number.NEGATIVE_INFINITY, match: null, prev: null, next: null };
  let last = head;
  for (const { event } of events) {
    last.next = event;
    event.prev = last;
    last = event;
  }
  return head;
}

/** Removes a call and its return from the list. */
function lift(call: Event): void {
  call.prev!.next = call.next;
  if (call.next) call.next.prev = call.prev;
  const returned = call.match!;
  returned.prev!.next = returned.next;
  if (returned.next) returned.next.prev = returned.prev;
}

/** Puts back a call and its return (the reverse of `lift`). */
function unlift(call: Event): void {
  const returned = call.match!;
  returned.prev!.next = returned;
  if (returned.next) returned.next.prev = returned;
  call.prev!.next = call;
  if (call.next) call.next.prev = call;
}

interface Budget {
  readonly deadline: number;
  readonly now: () => number;
  readonly stepsLeft: number;
}

/** Lowe's search over one partition. */
function checkPartition<S, I, O>(
  model: Model<S, I, O>,
  unordered: readonly Operation<I, O>[],
  budget: Budget,
): PartitionResult<I, O> {
  const operations = [...unordered].sort((a, b) => a.call - b.call);
  const head = buildEvents(operations);
  const linearized = new LinearizedSet(operations.length);
  const cache = new Map<number, CacheEntry<S>[]>();
  const stack: { call: Event; state: S }[] = [];
  let state = model.init();
  let event = head.next;
  let steps = 0;
  let longest: number[] = [];
  let blocked = -1;

  const seen = (candidate: S): boolean => {
    const key = (linearized.hash ^ Math.imul(model.hash(candidate), 0x9e3779b1)) >>> 0;
    const bucket = cache.get(key);
    if (bucket?.some((entry) => linearized.equalWords(entry.words) && model.equal(entry.state, candidate))) return true;
    const entry = { words: linearized.words.slice(), state: candidate };
    if (bucket) bucket.push(entry);
    else cache.set(key, [entry]);
    return false;
  };

  while (head.next !== null) {
    steps++;
    if (steps > budget.stepsLeft || ((steps & 1023) === 0 && budget.now() > budget.deadline)) {
      return { kind: 'budget', steps };
    }
    const current = event!;
    if (current.match !== null) {
      const op = operations[current.op]!;
      const [ok, next] = model.step(state, op.input, op.outcome);
      if (ok) {
        linearized.toggle(current.op);
        if (!seen(next)) {
          stack.push({ call: current, state });
          state = next;
          lift(current);
          event = head.next;
          continue;
        }
        linearized.toggle(current.op);
      }
      event = current.next;
      continue;
    }
    // A return whose operation is not linearized: backtrack.
    if (stack.length > longest.length) {
      longest = stack.map((entry) => entry.call.op);
      blocked = current.op;
    } else if (blocked < 0) {
      blocked = current.op;
    }
    const top = stack.pop();
    if (top === undefined) {
      return { kind: 'illegal', steps, counterexample: describeFailure(model, operations, longest, blocked) };
    }
    state = top.state;
    linearized.toggle(top.call.op);
    unlift(top.call);
    event = top.call.next;
  }
  return { kind: 'ok', steps };
}

/** The counterexample for a partition that has no linearization. */
function describeFailure<S, I, O>(
  model: Model<S, I, O>,
  operations: readonly Operation<I, O>[],
  longest: readonly number[],
  blocked: number,
): Counterexample<I, O> {
  const describe = (op: Operation<I, O>): string => {
    const text = model.describe ? model.describe(op.input, op.outcome) : JSON.stringify({ input: op.input, outcome: op.outcome });
    const time = (t: number): string => (Number.isInteger(t) ? String(t) : t.toFixed(1));
    return `${text} [client ${op.client}, ${time(op.call)}..${op.return === undefined ? '∞' : time(op.return)}]`;
  };
  const longestPrefix = longest.map((index) => operations[index]!);
  const blockedOp = operations[blocked]!;
  const shown = longestPrefix.slice(-8).map(describe);
  const message =
    `not linearizable: after ${longestPrefix.length} of ${operations.length} operations` +
    (shown.length > 0 ? ` (last: ${shown.join('; ')})` : '') +
    `, no order places ${describe(blockedOp)} before its return`;
  return { operations, longestPrefix, blocked: blockedOp, message };
}

/** Convenience for building histories: an operation that returned `value`. */
export function okOperation<I, O>(client: number, input: I, call: number, returned: number, value: O): Operation<I, O> {
  return { client, input, call, return: returned, outcome: { known: true, value } };
}

/** Convenience for building histories: an operation whose outcome is unknown (never returned). */
export function unknownOperation<I, O>(client: number, input: I, call: number): Operation<I, O> {
  const outcome: Outcome<O> = { known: false };
  return { client, input, call, return: undefined, outcome };
}
