/**
 * Renders one markdown table from JSON files written by `main.ts --json-out` (for example several
 * partial runs with different options): `tsx bench/crdt/render.ts a.json b.json > table.md`.
 * A workload that appears in several files gets the cells of every file, per library; a library
 * measured in several files keeps the cell of the last one.
 */
import { readFileSync } from "node:fs";
import type { Cell } from "./measure";
import { renderMarkdown } from "./table";
import type { WorkloadResult } from "./table";
import type { Workload } from "./workloads";

/** The part of a `--json-out` document this renderer reads. */
interface ResultsDocument {
  libraries: string[];
  workloads: { id: string; title: string; results: Record<string, Cell> }[];
}

/** A JSON file that is not a `--json-out` document. */
class ResultsFormatError extends Error {
  override readonly name = "ResultsFormatError";
}

function readResults(path: string): ResultsDocument {
  const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<ResultsDocument>;
  if (!Array.isArray(parsed.libraries) || !Array.isArray(parsed.workloads)) {
    throw new ResultsFormatError(`${path}: not a bench/crdt --json-out file`);
  }
  return parsed as ResultsDocument;
}

const libraries: string[] = [];
const byId = new Map<string, WorkloadResult>();
for (const path of process.argv.slice(2)) {
  const document = readResults(path);
  for (const library of document.libraries) if (!libraries.includes(library)) libraries.push(library);
  for (const { id, title, results } of document.workloads) {
    const cells = new Map([...(byId.get(id)?.cells ?? []), ...Object.entries(results)]);
    const all = [...cells.values()];
    const unsupported = all.length > 0 && all.every((cell) => cell.status === "unsupported") ? (all[0] as { message: string }).message : undefined;
    const workload: Workload = {
      id,
      title,
      ...(unsupported === undefined ? {} : { unsupported }),
      run: () => {
        throw new ResultsFormatError("a rendered workload cannot run");
      },
    };
    byId.set(id, { workload, cells });
  }
}
process.stdout.write(`${renderMarkdown([...byId.values()], libraries)}\n`);
