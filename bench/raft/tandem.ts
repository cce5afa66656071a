/** Placeholder until the node process and RaftClient land. */
import type { ProcessSupervisor } from '../../server/raft/chaos/processes';
import type { BenchTarget } from './stats';

export class TandemTarget {
  static async start(_supervisor: ProcessSupervisor, _log: (line: string) => void): Promise<BenchTarget> {
    throw new Error('the Tandem node process is not available yet');
  }
}
