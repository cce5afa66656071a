/**
 * The benchmark adapters, by name: ours first, then the peers. Outside programs (benchmarks, the
 * convergence fuzz) import this map with `tsx` and treat every entry alike.
 */
import { automergeAdapter } from "./automerge";
import { jsonJoyAdapter } from "./json-joy";
import { loroAdapter } from "./loro";
import { tandemAdapter } from "./tandem";
import type { TextCrdtAdapter } from "./types";
import { yjsAdapter } from "./yjs";

export type { TextCrdtAdapter, TextReplica } from "./types";

/** Every adapter under its name; key order is table order. */
export const adapters: Record<string, TextCrdtAdapter> = {
  tandem: tandemAdapter,
  yjs: yjsAdapter,
  automerge: automergeAdapter,
  "json-joy": jsonJoyAdapter,
  loro: loroAdapter,
};
