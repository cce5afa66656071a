/**
 * Output of the CRDT benchmark: one markdown table (a row per workload and metric, a column per
 * library, ours first; each cell the median with min–max over the runs) and the same results as
 * JSON (per workload, per library, per metric: median, min, max, runs).
 */
import { METRICS, SHORT_RUN_MS, SHORT_RUN_REPEATS } from "./measure";
import type { Cell, MetricName, Summary } from "./measure";
import type { Workload } from "./workloads";

/** The results of one workload, by library name. */
export interface WorkloadResult {
  readonly workload: Workload;
  readonly cells: ReadonlyMap<string, Cell>;
}

/** Facts about the run printed with the results. */
export interface RunInfo {
  readonly date: string;
  readonly node: string;
  readonly cpus: number;
  readonly runs: number;
  readonly warmup: number;
  readonly n: number;
  readonly command: string;
  readonly versions: Readonly<Record<string, string>>;
  readonly gcExposed: boolean;
}

/** A number of milliseconds, with precision that fits its size. */
function formatMs(value: number): string {
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return Math.round(value).toLocaleString("en-US");
}

/** A number of bytes: exact below 10 kB, else kB/MB (3 significant digits, or whole units). */
function formatBytes(value: number): string {
  const sign = value < 0 ? "-" : "";
  const size = Math.abs(value);
  if (size < 10_000) return `${sign}${Number.isInteger(size) ? size : size.toFixed(1)}`;
  const [scaled, unit] = size < 1_000_000 ? [size / 1000, "k"] : [size / 1_000_000, "M"];
  const digits = scaled < 1000 ? scaled.toPrecision(3) : Math.round(scaled).toLocaleString("en-US");
  return `${sign}${digits} ${unit}`;
}

/** "median (min–max)", or just the median when every run gave the same value. */
function formatSummary(summary: Summary, unit: "ms" | "bytes"): string {
  const format = unit === "ms" ? formatMs : formatBytes;
  const middle = format(summary.median);
  if (summary.min === summary.max) return middle;
  return `${middle} (${format(summary.min)}–${format(summary.max)})`;
}

/** Escapes a message for a markdown table cell. */
function escapeCell(text: string): string {
  const short = text.length > 90 ? `${text.slice(0, 87)}...` : text;
  return short.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The markdown table of every result; `libraries` is the column order. */
export function renderMarkdown(results: readonly WorkloadResult[], libraries: readonly string[]): string {
  const lines = [`| workload | metric | ${libraries.join(" | ")} |`, `| --- | --- |${libraries.map(() => " --: |").join("")}`];
  for (const { workload, cells } of results) {
    const label = `${workload.id} ${workload.title}`;
    if (workload.unsupported !== undefined) {
      lines.push(`| ${escapeCell(label)} | — |${libraries.map(() => ` ${workload.unsupported} |`).join("")}`);
      continue;
    }
    const shown = METRICS.filter(({ name }) => [...cells.values()].some((cell) => cell.status === "ok" && cell.metrics[name] !== undefined));
    const rows = shown.length > 0 ? shown : METRICS.slice(0, 1);
    rows.forEach(({ name, label: metricLabel, unit, fallback }, rowIndex) => {
      const values = libraries.map((library) => {
        const cell = cells.get(library);
        if (cell === undefined) return "—";
        if (cell.status !== "ok") return rowIndex === 0 ? escapeCell(cell.message) : "—";
        const summary = cell.metrics[name] ?? (fallback === undefined ? undefined : cell.metrics[fallback]);
        return summary === undefined ? "—" : formatSummary(summary, unit);
      });
      lines.push(`| ${rowIndex === 0 ? escapeCell(label) : ""} | ${metricLabel} (${unit}) | ${values.join(" | ")} |`);
    });
  }
  return lines.join("\n");
}

/** The JSON document of every result. */
export function renderJson(results: readonly WorkloadResult[], libraries: readonly string[], info: RunInfo): string {
  const units: Record<MetricName, string> = Object.fromEntries(METRICS.map(({ name, unit }) => [name, unit])) as Record<MetricName, string>;
  return JSON.stringify(
    {
      info,
      units,
      libraries,
      workloads: results.map(({ workload, cells }) => ({
        id: workload.id,
        title: workload.title,
        results: Object.fromEntries(libraries.filter((library) => cells.has(library)).map((library) => [library, cells.get(library)!])),
      })),
    },
    null,
    2,
  );
}

/** The lines printed above the table. */
export function renderHeader(info: RunInfo): string {
  const versions = Object.entries(info.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ");
  return [
    `CRDT benchmark, ${info.date}: Node ${info.node}, ${info.cpus} cores, N = ${info.n}, ${info.runs} measured run(s) after ${info.warmup} warm-up.`,
    `A full GC precedes each run; a timed section under ${SHORT_RUN_MS} ms is repeated ${SHORT_RUN_REPEATS} times on fresh documents and its time is their median (the first repeat is the row "time, first run after a full GC").`,
    `Peers: ${versions}. Cells: median (min–max). Sizes in bytes (k = 1,000, M = 1,000,000).`,
    info.gcExposed ? "" : "Heap metrics omitted: run node with --expose-gc.",
    `Command: ${info.command}`,
  ]
    .filter((line) => line !== "")
    .join("\n");
}
