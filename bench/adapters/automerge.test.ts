/**
 * Automerge-specific parts of its adapter: the actor id derivation and the state-vector codec.
 */
import { describe, expect, it } from "vitest";
import { actorIdOf, automergeAdapter, AutomergeStateVectorError, ReplicaIdRangeError } from "./automerge";

describe("automerge adapter", () => {
  it("derives a stable 8-hex-digit actor id from the replica id (seeded runs replay)", () => {
    expect(actorIdOf(0)).toBe("00000000");
    expect(actorIdOf(0xdeadbeef)).toBe("deadbeef");
    expect(actorIdOf(42)).toBe(actorIdOf(42));
  });

  it("rejects replica ids outside unsigned 32 bits with a typed error", () => {
    expect(() => actorIdOf(-1)).toThrow(ReplicaIdRangeError);
    expect(() => actorIdOf(2 ** 32)).toThrow(ReplicaIdRangeError);
    expect(() => actorIdOf(1.5)).toThrow(ReplicaIdRangeError);
  });

  it("state vectors are whole 32-byte heads; a ragged one is a typed error, not a wrong diff", () => {
    const replica = automergeAdapter.create(1);
    replica.insert(0, "x");
    expect(replica.stateVector().length % 32).toBe(0);
    expect(() => replica.diff(new Uint8Array(31))).toThrow(AutomergeStateVectorError);
  });

  it("replicas share the genesis, so concurrent first edits on fresh replicas all survive", () => {
    const a = automergeAdapter.create(1);
    const b = automergeAdapter.create(2);
    a.insert(0, "left");
    b.insert(0, "right");
    a.apply(b.flush()!);
    b.apply(a.flush()!);
    expect(a.text()).toBe(b.text());
    expect(a.text().length).toBe("leftright".length);
  });
});
