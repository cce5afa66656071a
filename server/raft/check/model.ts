/**
 * The shapes the linearizability checker works on: a sequential model (what one correct copy of
 * the service would do, one operation at a time) and a history (what concurrent clients saw).
 *
 * Follows Porcupine (Athalye) and Herlihy & Wing's definition: a history is linearizable when
 * every operation can be given a point between its call and its return such that the operations,
 * run in the order of their points against the sequential model, give the outputs observed.
 */

/** What a client learned about one operation's result. */
export type Outcome<O> =
  /** The operation returned `value`. */
  | { readonly known: true; readonly value: O }
  /**
   * The client never learned (timeout, connection lost): the operation may or may not have taken
   * effect, at any point after its call. Operations that surely failed are left out of a history.
   */
  | { readonly known: false };

/** One operation of a history. Invariant: `call <= return` when the return is known. */
export interface Operation<I, O> {
  /** The client (process) that issued it; a client issues one operation at a time. */
  readonly client: number;
  readonly input: I;
  /** When the call was made (any monotonic clock shared by all clients, e.g. ms). */
  readonly call: number;
  /**
   * When it returned; `undefined` when it never returned (then `outcome.known` is false). An
   * unknown outcome with a return time means: if it took effect at all, it did before that time.
   */
  readonly return: number | undefined;
  readonly outcome: Outcome<O>;
}

/** A sequential specification of a service. `S` must be treated as immutable. */
export interface Model<S, I, O> {
  /** The state before any operation. */
  init(): S;
  /**
   * Applies `input` to `state`: `[true, next]` when `outcome` is a possible result of doing so
   * (an unknown outcome is possible whenever the input can be applied), else `[false, state]`.
   */
  step(state: S, input: I, outcome: Outcome<O>): readonly [boolean, S];
  /** A hash of a state, consistent with `equal`. */
  hash(state: S): number;
  equal(a: S, b: S): boolean;
  /**
   * Splits a history into independent sub-histories (e.g. by key) when the model is a product of
   * independent models; each is checked alone (Porcupine's partitioning, a P-compositionality).
   */
  partition?(history: readonly Operation<I, O>[]): readonly (readonly Operation<I, O>[])[];
  /**
   * Rewrites a history into an equivalent one that is cheaper to search (e.g. drops operations
   * with unknown outcomes that provably did not matter). Must keep the verdict unchanged.
   */
  normalize?(history: readonly Operation<I, O>[]): readonly Operation<I, O>[];
  /** True for operations that never change the state: their unknown outcomes can be dropped. */
  isReadOnly?(input: I): boolean;
  /** A short text form of an operation for counterexamples. */
  describe?(input: I, outcome: Outcome<O>): string;
}

/** A 32-bit string hash (FNV-1a), for models' `hash`. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Mixes a 32-bit integer into a well-spread 32-bit value (the splitmix32 finaliser). */
export function mix32(value: number): number {
  let z = (value + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
