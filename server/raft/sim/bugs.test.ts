/**
 * The checkers are only worth something if they catch real bugs: each planted bug (a config flag
 * honoured only in tests) must be caught within 1,000 seeds. The runs stop at the first violation.
 */
import { describe, expect, it } from 'vitest';
import type { PlantedBugs } from '../core/types';
import { runSeeds } from './cli';
import type { ShellBug } from './node';

function firstCaught(bugs: PlantedBugs, checkContract: boolean): { seed: number | undefined; line: string } {
  const summary = runSeeds({ seeds: 1000, firstSeed: 1, nodes: 3, ticks: 300, bugs, checkContract });
  console.log(`${JSON.stringify(bugs)}${checkContract ? '' : ' (no contract check)'}: ${summary.line}`);
  return { seed: summary.failingSeed, line: summary.line };
}

function firstCaughtInShell(shellBug: ShellBug, checkContract: boolean): { seed: number | undefined; line: string } {
  const summary = runSeeds({ seeds: 1000, firstSeed: 1, nodes: 3, ticks: 300, shellBug, checkContract });
  console.log(`shell ${shellBug}${checkContract ? '' : ' (no contract check)'}: ${summary.line}`);
  return { seed: summary.failingSeed, line: summary.line };
}

describe('planted bugs are caught within 1,000 seeds', () => {
  it('voteBeforePersist: the Ready contract check (persist before send) catches it', () => {
    const caught = firstCaught({ voteBeforePersist: true }, true);
    expect(caught.seed).toBeDefined();
    expect(caught.line).toContain('Ready contract');
  });

  it('voteBeforePersist: without the contract check, the end-to-end checks catch it (a lost vote is cast twice: two leaders of one term, §5.2, whose first entries clash, §5.3)', () => {
    const caught = firstCaught({ voteBeforePersist: true }, false);
    expect(caught.seed).toBeDefined();
    expect(caught.line).toMatch(/§5\.2 election safety|§5\.3 log matching/);
  });

  it('commitPreviousTermByCounting: §5.4.2 (Figure 8) is caught', () => {
    const caught = firstCaught({ commitPreviousTermByCounting: true }, true);
    expect(caught.seed).toBeDefined();
    expect(caught.line).toMatch(/§5\.4/);
  });

  it('skipElectionRestriction: §5.4.1 is caught (leader completeness or commit safety)', () => {
    const caught = firstCaught({ skipElectionRestriction: true }, true);
    expect(caught.seed).toBeDefined();
    expect(caught.line).toMatch(/§5\.4/);
  });

  it('readIndexWithoutHeartbeat: §6.4 linearizable reads are caught', () => {
    const caught = firstCaught({ readIndexWithoutHeartbeat: true }, true);
    expect(caught.seed).toBeDefined();
    expect(caught.line).toContain('§6.4');
  });

  // Bugs in the node shell, not the core: the send-before-persist fast path done wrong.
  it('shell sendAllBeforePersist (votes and acknowledgements sent before the write): the Ready contract check catches it', () => {
    const caught = firstCaughtInShell('sendAllBeforePersist', true);
    expect(caught.seed).toBeDefined();
    expect(caught.line).toContain('Ready contract');
  });

  it('shell sendAllBeforePersist: without the contract check, the end-to-end checks catch it', () => {
    const caught = firstCaughtInShell('sendAllBeforePersist', false);
    expect(caught.seed).toBeDefined();
    expect(caught.line).toMatch(/§5\.|commit durability|acknowledged write/);
  });

  it('shell leaderSkipsSync (a leader that sent first counts entries it never made durable): commit durability catches it', () => {
    const caught = firstCaughtInShell('leaderSkipsSync', true);
    expect(caught.seed).toBeDefined();
    expect(caught.line).toContain('commit durability');
  });
});
