/**
 * The DocumentPersistence contract on both implementations: `MemoryPersistence`, and
 * `RaftPersistence` against a real 3-process Raft group.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { startProcessGroup, type ProcessGroup } from '../raft/node/harness';
import { MemoryPersistence, RaftPersistence } from './persistence';
import { definePersistenceSuite } from './persistence-suite';

describe('MemoryPersistence', () => {
  const memory = new MemoryPersistence();
  definePersistenceSuite(() => memory, 'mem');
});

describe('RaftPersistence (3 node processes)', () => {
  let group: ProcessGroup | undefined;
  let raft: RaftPersistence | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-raft-persistence-'));
    group = await startProcessGroup({ size: 3, dataDir: dir });
    raft = new RaftPersistence({ nodes: group.clientAddresses(), deadlineMs: 10_000 });
  }, 30_000);
  afterAll(async () => {
    raft?.close();
    await group?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  definePersistenceSuite(() => raft!, 'raft');
});
