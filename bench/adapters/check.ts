/**
 * A smoke check that an outside program can use the adapter map: every adapter runs one short
 * two-replica scenario (concurrent edits, flush/apply, a lost update repaired by diff, a reload)
 * and prints one line. Exit code 1 if any adapter fails.
 *
 *   npx tsx bench/adapters/check.ts
 */
import { adapters } from "./index";
import type { TextCrdtAdapter } from "./types";

/** What one adapter produced in the scenario. */
interface CheckOutcome {
  text: string;
  stateBytes: number;
  ok: boolean;
  detail: string;
}

/** Runs the scenario on one adapter; never throws. */
function checkAdapter(adapter: TextCrdtAdapter): CheckOutcome {
  try {
    const alice = adapter.create(1);
    const bob = adapter.create(2);
    alice.insert(0, "Hello world");
    bob.apply(alice.flush() ?? new Uint8Array(0));
    alice.insert(5, ",");
    bob.insert(bob.text().length, "!");
    alice.flush(); // This update is lost on the way; the resync below repairs it.
    alice.apply(bob.flush() ?? new Uint8Array(0));
    bob.apply(alice.diff(bob.stateVector()));
    const reloaded = adapter.load(bob.encode(), 3);
    const texts = [alice.text(), bob.text(), reloaded.text()];
    const ok = texts.every((text) => text === "Hello, world!");
    return { text: texts[0]!, stateBytes: bob.encode().length, ok, detail: ok ? "" : ` texts=${JSON.stringify(texts)}` };
  } catch (error) {
    return { text: "", stateBytes: 0, ok: false, detail: ` threw ${error instanceof Error ? error.message : String(error)}` };
  }
}

let failed = false;
for (const [key, adapter] of Object.entries(adapters)) {
  const outcome = checkAdapter(adapter);
  failed ||= !outcome.ok;
  const status = outcome.ok ? "ok  " : "FAIL";
  console.log(`${status} ${key.padEnd(10)} text=${JSON.stringify(outcome.text)} state=${outcome.stateBytes}B${outcome.detail}`);
}
process.exitCode = failed ? 1 : 0;
