import { registerInterleavingSuite } from './interleaving-suite';
import { Rga } from './rga';
import { registerSequenceSuite } from './sequence-suite';

registerSequenceSuite('Rga', () => new Rga());
registerInterleavingSuite('Rga', () => new Rga());
