// Parts the composition root (app.ts) builds from configuration alone: the
// mediasoup workers and the SIP gateway.
import { SipGateway } from '../gateway/sip-gateway.js';
import { WorkerPool } from '../media/worker-pool.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

export function startWorkerPool(config: Config, logger: Logger): Promise<WorkerPool> {
  return WorkerPool.create({
    size: config.mediasoupWorkers,
    rtcMinPort: config.rtcMinPort,
    rtcMaxPort: config.rtcMaxPort,
    webRtcServer: {
      listenIp: config.rtcListenIp,
      announcedAddress: config.announcedAddress,
      basePort: config.webRtcServerPort,
    },
    logger: logger.child({ component: 'media' }),
  });
}

/** The SIP gateway (with SIP_TRUNKS): phone media uses the same ports as WebRTC's. */
export function sipGateway(config: Config, logger: Logger): SipGateway {
  return new SipGateway({
    listenIp: config.rtcListenIp,
    port: config.sipPort,
    publicAddress: config.announcedAddress,
    tls: config.sipTls,
    trunks: config.sipTrunks,
    numbers: config.sipNumbers,
    logger: logger.child({ component: 'sip' }),
    media: {
      listenIp: config.rtcListenIp,
      announcedAddress: config.announcedAddress,
      portRange: { min: config.rtcMinPort, max: config.rtcMaxPort },
    },
  });
}
