// Prometheus metrics for one node: process defaults plus Voxreply's own gauges.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricSources {
  socketConnections: () => number;
  workersAlive: () => number;
  routers: () => number;
}

export interface Metrics {
  registry: Registry;
  workerDeaths: Counter;
}

export function createMetrics(sources: MetricSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };
  gauge(
    'voxreply_socket_connections',
    'Socket.IO connections open now.',
    sources.socketConnections,
  );
  gauge('voxreply_mediasoup_workers_alive', 'mediasoup workers alive now.', sources.workersAlive);
  gauge('voxreply_mediasoup_routers', 'mediasoup routers (rooms) open now.', sources.routers);
  const workerDeaths = new Counter({
    name: 'voxreply_mediasoup_worker_deaths_total',
    help: 'mediasoup workers that died (each is replaced).',
    registers: [registry],
  });
  return { registry, workerDeaths };
}
