/**
 * The cluster's rows of /metrics: every metric of the node labelled with its id, the live
 * nodes with their load (cluster gauges: each node reports what it sees of all of them), and
 * the relays to and from each peer node with their bitrates.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Cluster } from './Cluster.js';

export function registerClusterMetrics(registry: Registry, cluster: Cluster): void {
  registry.setDefaultLabels({ node: cluster.nodeId });
  const registers = [registry];
  new Gauge({
    name: 'parley_cluster_nodes',
    help: 'Live nodes of the cluster (this one included), as this node sees them',
    registers,
    collect: function (this: Gauge) {
      this.set(cluster.registry.peers().length + 1);
    },
  });
  new Gauge({
    name: 'parley_cluster_node_load',
    help: 'Media load (transports + producers + consumers) of each live node, from its heartbeat',
    labelNames: ['peer'],
    registers,
    collect: function (this: Gauge<'peer'>) {
      this.reset();
      for (const peer of cluster.registry.peers()) this.set({ peer: peer.id }, peer.load);
    },
  });
  new Gauge({
    name: 'parley_cluster_redis_up',
    help: '1 while this node is connected to the cluster Redis',
    registers,
    collect: function (this: Gauge) {
      this.set(cluster.redis.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'parley_relays',
    help: 'Media pipes to (out) and from (in) each peer node, one per room and node pair',
    labelNames: ['peer', 'direction'],
    registers,
    collect: function (this: Gauge<'peer' | 'direction'>) {
      this.reset();
      for (const relay of cluster.relays.list()) {
        this.inc({ peer: relay.peer, direction: relay.direction });
      }
    },
  });
  new Gauge({
    name: 'parley_relay_bitrate_bits_per_second',
    help: 'Media sent to (out) and received from (in) each peer node over relays',
    labelNames: ['peer', 'direction'],
    registers,
    collect: async function (this: Gauge<'peer' | 'direction'>) {
      this.reset();
      const relays = cluster.relays.list();
      const stats = await Promise.all(relays.map((r) => r.pipe.stats().catch(() => null)));
      relays.forEach((relay, i) => {
        const s = stats[i];
        if (!s) return;
        const bps = relay.direction === 'in' ? s.recvBitrate : s.sendBitrate;
        this.inc({ peer: relay.peer, direction: relay.direction }, bps);
      });
    },
  });
}
