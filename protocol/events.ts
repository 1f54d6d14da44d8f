// Socket.IO's typed events: the one contract between clients and the server.
// Every client-to-server payload is parsed by its schema in the server before use.
import type { AckCallback } from './ack.js';
import type {
  ConnectTransportRequest,
  ConsumeRequest,
  ConsumerInfo,
  CreateTransportRequest,
  JoinRoomRequest,
  JoinRoomResult,
  ProduceRequest,
  ProducerInfo,
  ResumeConsumerRequest,
  TransportInfo,
} from './media.js';

export interface ServerHello {
  version: string;
}

export interface ClientToServerEvents {
  'media:join': (request: JoinRoomRequest, ack: AckCallback<JoinRoomResult>) => void;
  'media:createTransport': (
    request: CreateTransportRequest,
    ack: AckCallback<TransportInfo>,
  ) => void;
  'media:connectTransport': (request: ConnectTransportRequest, ack: AckCallback<null>) => void;
  'media:produce': (request: ProduceRequest, ack: AckCallback<{ producerId: string }>) => void;
  'media:consume': (request: ConsumeRequest, ack: AckCallback<ConsumerInfo>) => void;
  'media:resumeConsumer': (request: ResumeConsumerRequest, ack: AckCallback<null>) => void;
}

export interface ServerToClientEvents {
  'server:hello': (hello: ServerHello) => void;
  'media:newProducer': (producer: ProducerInfo) => void;
  'media:producerClosed': (producer: { producerId: string }) => void;
}

// Events between signaling nodes (Socket.IO adapter); none yet.
export type InterServerEvents = Record<string, never>;

export interface SocketData {
  /** Set when the socket joined a media room. */
  roomName?: string;
}
