import { describe, expect, it } from 'vitest';
import { LocalCluster } from './cluster';
import { ChildProcessError, ProcessSupervisor } from './processes';

describe('LocalCluster start-up', () => {
  it('fails at once with the node output when a node exits during start-up (no 30 s wait, no retry)', async () => {
    const supervisor = new ProcessSupervisor();
    const lines: string[] = [];
    const started = performance.now();
    try {
      const attempt = LocalCluster.start(supervisor, { size: 3, proxies: false, nodeFlags: ['--no-such-flag'], log: (line) => lines.push(line) });
      const error = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ChildProcessError);
      expect((error as Error).message).toMatch(/node \d exited unexpectedly \(1\).*no-such-flag/s);
      expect(performance.now() - started).toBeLessThan(25_000);
      expect(lines.some((line) => line.includes('trying again'))).toBe(false);
    } finally {
      await supervisor.dispose();
    }
  });
});
