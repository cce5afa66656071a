import { describeStorageContract } from '../core/storage-suite';
import { MemoryStorage } from './memory';

describeStorageContract('MemoryStorage', () => new MemoryStorage());
