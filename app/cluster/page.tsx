import type { Metadata } from 'next';
import { ClusterView } from '../../components/ClusterView';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Cluster · Tandem' };

/** `/cluster`: the relays and the Raft persistence group, live. */
export default function ClusterPage() {
  return <ClusterView />;
}
