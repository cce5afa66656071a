/**
 * The chaos run's fault schedule: a pure function of a seeded PRNG and the set of faults in force,
 * so a seed names a schedule (the timing of real processes still varies from run to run).
 */
import type { SeededRandom } from '../core/random';
import type { LinkMode } from './proxy';

/** A fault that can be in force, and later healed. */
export type Fault =
  | { readonly kind: 'kill'; readonly node: number }
  | { readonly kind: 'pause'; readonly node: number }
  /** Cuts from → to, and to → from too when `bothWays`. */
  | { readonly kind: 'cut'; readonly from: number; readonly to: number; readonly bothWays: boolean; readonly mode: Exclude<LinkMode, 'open'> };

/** One step of the schedule. */
export type FaultAction =
  | { readonly kind: 'inject'; readonly fault: Fault }
  | { readonly kind: 'heal'; readonly fault: Fault }
  | { readonly kind: 'none' };

/** Limits of the schedule. */
export interface FaultPolicy {
  readonly nodes: readonly number[];
  /** At most this many faults in force at once. */
  readonly maxActive: number;
  /** Probability that a step heals a fault in force (when there is one). */
  readonly healChance: number;
}

/** A short stable text of a fault for logs. */
export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'kill':
      return `kill ${fault.node}`;
    case 'pause':
      return `pause ${fault.node}`;
    case 'cut':
      return `cut ${fault.from}${fault.bothWays ? '<->' : '->'}${fault.to} (${fault.mode})`;
  }
}

/** True when two faults touch the same node process or the same link. */
function clashes(a: Fault, b: Fault): boolean {
  if (a.kind === 'cut' && b.kind === 'cut') {
    const pair = (f: typeof a): string => [Math.min(f.from, f.to), Math.max(f.from, f.to)].join('-');
    return pair(a) === pair(b);
  }
  if (a.kind !== 'cut' && b.kind !== 'cut') return a.node === b.node;
  return false;
}

/** Draws the next action. Node faults (kill/pause) are kept to one node at a time. */
export function nextFaultAction(random: SeededRandom, active: readonly Fault[], policy: FaultPolicy): FaultAction {
  if (active.length > 0 && (active.length >= policy.maxActive || random.chance(policy.healChance))) {
    return { kind: 'heal', fault: random.pick(active) };
  }
  const roll = random.nextFloat();
  const node = random.pick(policy.nodes);
  let fault: Fault;
  if (roll < 0.3) fault = { kind: 'kill', node };
  else if (roll < 0.45) fault = { kind: 'pause', node };
  else {
    const others = policy.nodes.filter((n) => n !== node);
    fault = {
      kind: 'cut',
      from: node,
      to: random.pick(others),
      bothWays: random.chance(0.5),
      mode: random.chance(0.5) ? 'reset' : 'blackhole',
    };
  }
  const nodeFaults = active.filter((f) => f.kind !== 'cut').length;
  if (fault.kind !== 'cut' && nodeFaults > 0) return { kind: 'none' };
  if (active.some((f) => clashes(f, fault))) return { kind: 'none' };
  return { kind: 'inject', fault };
}
