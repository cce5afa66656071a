import { registerInterleavingSuite } from './interleaving-suite';
import { Rga } from './rga';
import { registerSequenceSuite } from './sequence-suite';

registerSequenceSuite('Rga', () => new Rga());
registerInterleavingSuite('Rga', () => new Rga());
// Tiny nodes: the same contract must hold when almost every edit splits a leaf or a branch.
registerSequenceSuite('Rga with tiny tree nodes', () => new Rga({ leafCapacity: 2, branchCapacity: 3 }));
registerInterleavingSuite('Rga with tiny tree nodes', () => new Rga({ leafCapacity: 2, branchCapacity: 3 }));
