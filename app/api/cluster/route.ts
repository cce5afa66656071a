import { takeClusterSnapshot, parseRaftNodes } from '../../../lib/client/cluster';
import { readClientConfig } from '../../../lib/client/config';

export const dynamic = 'force-dynamic';

/**
 * `GET /api/cluster`: one snapshot of every relay's `/health` and every Raft node's `/v1/status`
 * (`lib/client/cluster.ts`), taken by the web server so the browser needs no CORS from the nodes.
 * Raft nodes: `TANDEM_RAFT_NODES` plus those the relays report. Always 200: unreachable endpoints
 * are part of the answer.
 */
export async function GET(): Promise<Response> {
  const { relayUrls } = readClientConfig(process.env);
  const snapshot = await takeClusterSnapshot({
    fetch,
    relayUrls,
    raftNodes: parseRaftNodes(process.env.TANDEM_RAFT_NODES),
  });
  return Response.json(snapshot, { headers: { 'cache-control': 'no-store' } });
}
