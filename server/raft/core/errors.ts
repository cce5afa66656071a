/**
 * Errors of the Raft core's own configuration. (Storage errors and RaftInvariantError live in
 * storage.ts, beside the seam that raises them.)
 */

/** A RaftConfig or initial state that the core cannot start from. */
export class RaftConfigError extends Error {
  override readonly name = 'RaftConfigError';
}
