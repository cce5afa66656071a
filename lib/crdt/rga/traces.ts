/**
 * Loader for the editing traces in `<repo>/../shared/traces` (josephg/editing-traces; format in
 * that folder's README). Node-only (reads files): used by tests and benchmarks, deliberately
 * not exported from `index.ts` so browser bundles never pull in `node:fs`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** One splice: at `position` delete `deleteCount` characters, then insert `insert`. */
export type TracePatch = readonly [position: number, deleteCount: number, insert: string];

/** A single-user editing history. Replaying every patch in order on `startContent` gives `endContent`. */
export interface SequentialTrace {
  readonly name: string;
  readonly startContent: string;
  readonly endContent: string;
  readonly txns: readonly { readonly patches: readonly TracePatch[] }[];
}

/** One transaction of a concurrent trace; positions are relative to the merged state of `parents`. */
export interface ConcurrentTxn {
  readonly parents: readonly number[];
  readonly agent: number;
  readonly patches: readonly TracePatch[];
}

/** A multi-user editing history; `txns` are in a topological order. */
export interface ConcurrentTrace {
  readonly name: string;
  readonly endContent: string;
  readonly numAgents: number;
  readonly txns: readonly ConcurrentTxn[];
}

/** A trace file is missing or does not have the documented shape. */
export class TraceFormatError extends Error {
  override readonly name = 'TraceFormatError';
}

/**
 * The traces folder: `$TANDEM_TRACES_DIR`, else the first of `<cwd>/../shared/traces` (the layout
 * CI and the workplace use: `shared/` beside the clone), `<cwd>/shared/traces` and
 * `/work/shared/traces` (this machine's copy, for clones made elsewhere) that exists.
 */
export function tracesDirectory(): string {
  const configured = process.env['TANDEM_TRACES_DIR'];
  if (configured !== undefined) return configured;
  const candidates = [
    resolve(process.cwd(), '..', 'shared', 'traces'),
    resolve(process.cwd(), 'shared', 'traces'),
    '/work/shared/traces',
  ];
  return candidates.find((dir) => existsSync(join(dir, 'sequential'))) ?? candidates[0]!;
}

/** Names (without `.json.gz`) of the sequential traces, sorted. */
export function listSequentialTraces(): string[] {
  return readdirSync(join(tracesDirectory(), 'sequential'))
    .filter((file) => file.endsWith('.json.gz'))
    .map((file) => file.slice(0, -'.json.gz'.length))
    .sort();
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as unknown;
  } catch (error) {
    throw new TraceFormatError(`cannot read trace ${path}: ${(error as Error).message}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toPatches(value: unknown, where: string): TracePatch[] {
  if (!Array.isArray(value)) throw new TraceFormatError(`${where}: patches is not an array`);
  return value.map((patch: unknown, i) => {
    if (
      !Array.isArray(patch) ||
      patch.length !== 3 ||
      !Number.isInteger(patch[0]) ||
      !Number.isInteger(patch[1]) ||
      typeof patch[2] !== 'string'
    ) {
      throw new TraceFormatError(`${where}: patch ${i} is not [position, deleteCount, insert]`);
    }
    return [patch[0] as number, patch[1] as number, patch[2]] as const;
  });
}

/** Loads `sequential/<name>.json.gz` (name may include a subfolder, e.g. `ascii_only/rustcode`). */
export function loadSequentialTrace(name: string): SequentialTrace {
  const path = join(tracesDirectory(), 'sequential', `${name}.json.gz`);
  const raw = readJson(path);
  if (!isRecord(raw) || typeof raw['endContent'] !== 'string' || !Array.isArray(raw['txns'])) {
    throw new TraceFormatError(`${path}: not a sequential trace`);
  }
  const txns = raw['txns'].map((txn: unknown, i) => {
    if (!isRecord(txn)) throw new TraceFormatError(`${path}: txn ${i} is not an object`);
    return { patches: toPatches(txn['patches'], `${path} txn ${i}`) };
  });
  const startContent = typeof raw['startContent'] === 'string' ? raw['startContent'] : '';
  return { name, startContent, endContent: raw['endContent'], txns };
}

/** Loads `concurrent/<name>.json.gz`. */
export function loadConcurrentTrace(name: string): ConcurrentTrace {
  const path = join(tracesDirectory(), 'concurrent', `${name}.json.gz`);
  const raw = readJson(path);
  if (!isRecord(raw) || typeof raw['endContent'] !== 'string' || !Array.isArray(raw['txns']) || !Number.isInteger(raw['numAgents'])) {
    throw new TraceFormatError(`${path}: not a concurrent trace`);
  }
  const txns = raw['txns'].map((txn: unknown, i): ConcurrentTxn => {
    if (!isRecord(txn) || !Array.isArray(txn['parents']) || !Number.isInteger(txn['agent'])) {
      throw new TraceFormatError(`${path}: txn ${i} lacks parents or agent`);
    }
    const parents = txn['parents'].map((p: unknown) => {
      if (!Number.isInteger(p) || (p as number) < 0 || (p as number) >= i) {
        throw new TraceFormatError(`${path}: txn ${i} has parent ${String(p)} not before it`);
      }
      return p as number;
    });
    return { parents, agent: txn['agent'] as number, patches: toPatches(txn['patches'], `${path} txn ${i}`) };
  });
  return { name, endContent: raw['endContent'], numAgents: raw['numAgents'] as number, txns };
}
