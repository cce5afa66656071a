/**
 * Trace loading for the benchmark: the shared editing traces (`<repo>/../shared/traces`, format in
 * its README) through the loader in `lib/crdt/rga/traces.ts`, turned into benchmark edit steps.
 */
import { readFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import {
  listSequentialTraces,
  loadConcurrentTrace,
  loadSequentialTrace,
  tracesDirectory,
  TraceFormatError,
} from "../../lib/crdt/rga/traces";
import type { ConcurrentTrace, SequentialTrace } from "../../lib/crdt/rga/traces";
import type { Edit } from "./scenarios";

export type { ConcurrentTrace, SequentialTrace };

/** The suffix every trace file has. */
const TRACE_SUFFIX = ".json.gz";

/** `<repo>/../shared/traces`, resolved from this file rather than the working directory. */
export function defaultTracesDirectory(): string {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  return resolve(repo, "..", "shared", "traces");
}

/**
 * Points the lib loader at `<repo>/../shared/traces` unless `TANDEM_TRACES_DIR` already says
 * otherwise (the lib default is relative to the working directory). Call once at startup.
 */
export function useDefaultTracesDirectory(): void {
  process.env["TANDEM_TRACES_DIR"] ??= defaultTracesDirectory();
}

/** Names of the sequential traces (top level of `sequential/`, without the ascii_only copies). */
export function sequentialTraceNames(): string[] {
  return listSequentialTraces();
}

/** Loads a sequential trace by name (`automerge-paper`, ...). */
export function sequentialTrace(name: string): SequentialTrace {
  return loadSequentialTrace(name);
}

/** Loads a concurrent trace by name (`clownschool`). */
export function concurrentTrace(name: string): ConcurrentTrace {
  return loadConcurrentTrace(name);
}

/** A trace file given on the command line: sequential or concurrent, by its `kind` field. */
export type TraceFile =
  | { readonly kind: "sequential"; readonly name: string; readonly trace: SequentialTrace }
  | { readonly kind: "concurrent"; readonly name: string; readonly trace: ConcurrentTrace };

/** Loads any `*.json.gz` trace file in the shared format; throws `TraceFormatError` otherwise. */
export function loadTraceFile(path: string): TraceFile {
  const absolute = resolve(path);
  if (!absolute.endsWith(TRACE_SUFFIX)) throw new TraceFormatError(`${path}: a trace file must end in ${TRACE_SUFFIX}`);
  let kind: unknown;
  try {
    kind = (JSON.parse(gunzipSync(readFileSync(absolute)).toString("utf8")) as { kind?: unknown }).kind;
  } catch (error) {
    throw new TraceFormatError(`cannot read trace ${path}: ${(error as Error).message}`);
  }
  const name = basename(absolute, TRACE_SUFFIX);
  // The lib loader takes a name under `<traces>/<kind>/`; a relative path reaches any file.
  const root = tracesDirectory();
  if (kind === "concurrent") {
    const relativeName = relative(join(root, "concurrent"), absolute).slice(0, -TRACE_SUFFIX.length);
    return { kind, name, trace: loadConcurrentTrace(relativeName) };
  }
  const relativeName = relative(join(root, "sequential"), absolute).slice(0, -TRACE_SUFFIX.length);
  return { kind: "sequential", name, trace: loadSequentialTrace(relativeName) };
}

/** One step (transaction) per trace txn; a patch is a delete then an insert at its position. */
export function stepsOf(trace: SequentialTrace): Edit[][] {
  return trace.txns.map((txn) => {
    const edits: Edit[] = [];
    for (const [index, deleteCount, insert] of txn.patches) {
      if (deleteCount > 0) edits.push({ kind: "delete", index, length: deleteCount });
      if (insert.length > 0) edits.push({ kind: "insert", index, text: insert });
    }
    return edits;
  });
}

/** Number of patches (single edits) in a sequential trace. */
export function patchCount(trace: SequentialTrace): number {
  return trace.txns.reduce((sum, txn) => sum + txn.patches.length, 0);
}
