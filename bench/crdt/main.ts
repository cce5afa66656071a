/**
 * `npm run bench:crdt`: runs the CRDT workloads through every adapter and prints one markdown
 * table (ours first, every peer beside it) or, with `--json`, the same results as JSON.
 *
 * Options:
 *   --only B4,B1.1,...   workloads by id; a token also selects the ids under it (B1 → B1.1 … B1.11)
 *   --libs tandem,yjs    libraries (default: every adapter in bench/adapters/index.ts + json-joy, loro)
 *   --runs N             measured runs per workload and library (default 5; 1 with --quick)
 *   --warmup N           warm-up runs before them (default 1; 0 with --quick)
 *   --trace FILE         extra trace (*.json.gz, shared format); repeatable
 *   --quick              smoke test: N = 600, traces cut to their first 5,000 txns
 *   --timeout S          cap of one run in seconds (default 300): a longer run is a "timeout" cell
 *   --budget S           no new run starts after S seconds on one workload and library (default 600)
 *   --json               print JSON instead of the table
 *   --json-out FILE      also write the JSON to FILE
 * Progress goes to stderr. Exit code 1 when any library produced a wrong text, 2 on bad options.
 * Run with `node --expose-gc` (or `tsx --expose-gc`) for the heap metrics.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { adapters } from "../adapters/index";
import { jsonJoyAdapter } from "../adapters/json-joy";
import { loroAdapter } from "../adapters/loro";
import type { TextCrdtAdapter } from "../adapters/types";
import { exposedGc, measureCell } from "./measure";
import type { Cell } from "./measure";
import { renderHeader, renderJson, renderMarkdown } from "./table";
import type { RunInfo, WorkloadResult } from "./table";
import { useDefaultTracesDirectory } from "./traces";
import { buildWorkloads, matchesSelector } from "./workloads";

/** A command-line option that cannot be used. */
class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The repository root (two folders up from this file). */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** npm packages of the peers, for the versions line. */
const PEER_PACKAGES: Readonly<Record<string, string>> = {
  yjs: "yjs",
  automerge: "@automerge/automerge",
  "json-joy": "json-joy",
  loro: "loro-crdt",
};

/** Every adapter by name: the shared map first (ours leads it), then ours-owned peers. */
function allAdapters(): Map<string, TextCrdtAdapter> {
  const all = new Map<string, TextCrdtAdapter>();
  for (const adapter of Object.values(adapters)) all.set(adapter.name, adapter);
  for (const adapter of [jsonJoyAdapter, loroAdapter]) if (!all.has(adapter.name)) all.set(adapter.name, adapter);
  if (all.has("tandem")) {
    const tandem = all.get("tandem")!;
    all.delete("tandem");
    return new Map([["tandem", tandem], ...all]);
  }
  return all;
}

/** The installed version of an npm package, or "?" when it cannot be read. */
function packageVersion(name: string): string {
  try {
    const json = JSON.parse(readFileSync(resolve(REPO, "node_modules", name, "package.json"), "utf8")) as { version?: string };
    return json.version ?? "?";
  } catch {
    return "?";
  }
}

/** Splits repeatable, comma-separated option values. */
function listOption(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(",")).map((value) => value.trim()).filter((value) => value !== "");
}

/** A positive number option (or the default when absent). */
function numberOption(value: string | undefined, name: string, fallback: number, minimum: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < minimum) throw new UsageError(`--${name} must be a number >= ${minimum}, got ${value}`);
  return parsed;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: "string", multiple: true },
      libs: { type: "string", multiple: true },
      runs: { type: "string" },
      warmup: { type: "string" },
      trace: { type: "string", multiple: true },
      quick: { type: "boolean", default: false },
      timeout: { type: "string" },
      budget: { type: "string" },
      json: { type: "boolean", default: false },
      "json-out": { type: "string" },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const runs = Math.floor(numberOption(values.runs, "runs", quick ? 1 : 5, 1));
  const warmup = Math.floor(numberOption(values.warmup, "warmup", quick ? 0 : 1, 0));
  const timeoutMs = numberOption(values.timeout, "timeout", 300, 1) * 1000;
  const budgetMs = numberOption(values.budget, "budget", 600, 1) * 1000;
  const n = quick ? 600 : 6000;
  useDefaultTracesDirectory();

  const available = allAdapters();
  const requested = listOption(values.libs);
  for (const name of requested) {
    if (!available.has(name)) throw new UsageError(`unknown library ${name}; known: ${[...available.keys()].join(", ")}`);
  }
  const libraries = requested.length > 0 ? [...available.keys()].filter((name) => requested.includes(name)) : [...available.keys()];

  const selectors = listOption(values.only);
  const allWorkloads = buildWorkloads({ n, traceLimit: quick ? 5000 : Infinity, traceFiles: values.trace ?? [] });
  const workloads = selectors.length === 0 ? allWorkloads : allWorkloads.filter((w) => selectors.some((token) => matchesSelector(w.id, token)));
  for (const token of selectors) {
    if (!allWorkloads.some((w) => matchesSelector(w.id, token))) throw new UsageError(`--only ${token} matches no workload; ids: ${allWorkloads.map((w) => w.id).join(", ")}`);
  }

  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  if (exposedGc() === undefined) log("warning: global.gc is not exposed (run node with --expose-gc); heap metrics are omitted");
  if (!available.has("tandem")) log("warning: no `tandem` adapter registered in bench/adapters/index.ts");

  const results: WorkloadResult[] = [];
  let mismatches = 0;
  for (const workload of workloads) {
    log(`${workload.id} ${workload.title}`);
    const cells = new Map<string, Cell>();
    for (const library of libraries) {
      const cell = await measureCell(workload, available.get(library)!, { runs, warmup, timeoutMs, budgetMs, log });
      if (cell.status === "mismatch") {
        mismatches++;
        log(`FAIL: ${library} on ${workload.id}: ${cell.message}`);
      } else if (cell.status === "error" || cell.status === "timeout") {
        log(`  ${library} ${workload.id}: ${cell.message}`);
      }
      cells.set(library, cell);
    }
    results.push({ workload, cells });
  }

  const versions: Record<string, string> = {};
  for (const library of libraries) {
    const npmName = PEER_PACKAGES[library];
    if (npmName !== undefined) versions[library] = packageVersion(npmName);
  }
  const info: RunInfo = {
    date: new Date().toISOString().slice(0, 10),
    node: process.versions.node,
    cpus: cpus().length,
    runs,
    warmup,
    n,
    command: `bench/crdt/main.ts ${process.argv.slice(2).join(" ")}`.trim(),
    versions,
    gcExposed: exposedGc() !== undefined,
  };
  if (values["json-out"] !== undefined) writeFileSync(values["json-out"], `${renderJson(results, libraries, info)}\n`);
  if (values.json === true) {
    process.stdout.write(`${renderJson(results, libraries, info)}\n`);
  } else {
    process.stdout.write(`${renderHeader(info)}\n\n${renderMarkdown(results, libraries)}\n`);
  }
  if (mismatches > 0) {
    log(`${mismatches} workload/library pair(s) produced a wrong text (see FAIL lines above)`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof UsageError ? "usage" : "error"}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
