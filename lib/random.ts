/**
 * The one seeded pseudo-random generator of the project (mulberry32, Tommy Ettinger): tests,
 * simulations, benchmarks and cores that need randomness receive a generator made here, so a
 * seed replays a run exactly. Each call makes an independent generator; there is no module state.
 */

/** A generator of floats in [0, 1) from a 32-bit seed; the same seed gives the same sequence. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
