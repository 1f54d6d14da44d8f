// Prometheus metrics for one node: process defaults plus Voxreply's own gauges.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricSources {
  /** SIP trunks and whether each may take calls now (OPTIONS pings, or INVITE results). */
  sipTrunks: () => { trunk: string; up: boolean }[];
  socketConnections: () => number;
  workersAlive: () => number;
  routers: () => number;
  /** Live SIP dialogs (calls to and from phones, ringing or answered). */
  sipDialogs: () => number;
  /** Phone media legs open (their RTP relays hold two UDP ports each). */
  phoneLegs: () => number;
  /** Messages in the mail spool not yet delivered or bounced. */
  mailQueue: () => number;
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
  gauge('voxreply_sip_dialogs', 'SIP dialogs live now (to and from phones).', sources.sipDialogs);
  gauge('voxreply_phone_legs', 'Phone media legs (RTP relays) open now.', sources.phoneLegs);
  gauge('voxreply_mail_queue', 'Messages in the mail spool awaiting delivery.', sources.mailQueue);
  new Gauge({
    name: 'voxreply_sip_trunk_up',
    help: 'Whether a SIP trunk may take calls now (1) or is down (0), by OPTIONS pings or, unpinged, by INVITE results.',
    labelNames: ['trunk'],
    registers: [registry],
    collect() {
      for (const { trunk, up } of sources.sipTrunks()) this.set({ trunk }, up ? 1 : 0);
    },
  });
  const workerDeaths = new Counter({
    name: 'voxreply_mediasoup_worker_deaths_total',
    help: 'mediasoup workers that died (each is replaced).',
    registers: [registry],
  });
  return { registry, workerDeaths };
}
