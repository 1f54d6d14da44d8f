// Socket.IO's typed events: the one contract between clients and the server.
// Every client-to-server payload is parsed by its schema in the server before use.
import type { AckCallback } from './ack.js';
import type {
  AnswerCallRequest,
  AnswerCallResult,
  CallDtmfRequest,
  CallEnded,
  CallIdRequest,
  CallProgress,
  IncomingCall,
  RingEnded,
  StartCallRequest,
  StartCallResult,
  ResumeCallRequest,
  ResumeCallResult,
} from './call.js';
import type {
  CallParticipants,
  CallRecipient,
  GroupCallState,
  GroupInvitation,
  GroupWatchRequest,
  InviteResult,
  InviteToCallRequest,
  JoinCallRequest,
} from './group.js';
import type {
  CallbackCallResult,
  CallbackFree,
  CallbackIdRequest,
  CallbackListRequest,
  CallbackRequestBody,
  CallbackRequestView,
  CallbackRing,
  SenderStatusUpdate,
  StatusWatched,
  StatusWatchRequest,
} from './callback.js';
import type { ActivityBeat, DeviceHello, DeviceView, UpdateDeviceRequest } from './presence.js';
import type { VoicemailView } from './voicemail.js';
import type {
  ChatMessage,
  ChatOpened,
  ChatOpenRequest,
  ChatRead,
  ChatReadRequest,
  ChatSendRequest,
} from './chat.js';
import type {
  ConnectTransportRequest,
  ConsumeRequest,
  ConsumerInfo,
  CreateTransportRequest,
  JoinRoomRequest,
  JoinRoomResult,
  ProduceRequest,
  ProducerInfo,
  RestartIceRequest,
  ResumeConsumerRequest,
  CloseProducerRequest,
  SendCodecRequest,
  TransportInfo,
} from './media.js';

export interface ServerHello {
  version: string;
}

export interface ClientToServerEvents {
  // Desk app (an authenticated sender's device).
  'device:hello': (hello: DeviceHello, ack: AckCallback<DeviceView[]>) => void;
  'device:activity': (beat: ActivityBeat, ack?: AckCallback<null>) => void;
  'device:update': (request: UpdateDeviceRequest, ack: AckCallback<DeviceView[]>) => void;
  'call:answer': (request: AnswerCallRequest, ack: AckCallback<AnswerCallResult>) => void;
  'call:decline': (request: CallIdRequest, ack: AckCallback<null>) => void;
  /** "Send to my phone" from the incoming-call dialog. */
  'call:sendToPhone': (request: CallIdRequest, ack: AckCallback<null>) => void;
  // Reply page (anonymous caller holding a link token).
  'call:start': (request: StartCallRequest, ack: AckCallback<StartCallResult>) => void;
  /** After a reconnect: the call this page placed goes on (on whichever node it reached). */
  'call:resume': (request: ResumeCallRequest, ack: AckCallback<ResumeCallResult>) => void;
  /** Keypad tones to the phone the caller is connected to. */
  'call:dtmf': (request: CallDtmfRequest, ack: AckCallback<null>) => void;
  // Group replies: a reply page hears about its email's call and joins it;
  // the sender lists the email's other recipients and invites one.
  'group:watch': (request: GroupWatchRequest, ack: AckCallback<GroupCallState | null>) => void;
  'call:join': (request: JoinCallRequest, ack: AckCallback<StartCallResult>) => void;
  'call:recipients': (request: CallIdRequest, ack: AckCallback<CallRecipient[]>) => void;
  'call:invite': (request: InviteToCallRequest, ack: AckCallback<InviteResult>) => void;
  // Either side of a call.
  'call:hangup': (request: CallIdRequest, ack: AckCallback<null>) => void;
  // Chat on a link (reply page by token, desk app by link id).
  'chat:open': (request: ChatOpenRequest, ack: AckCallback<ChatOpened>) => void;
  'chat:send': (request: ChatSendRequest, ack: AckCallback<ChatMessage>) => void;
  'chat:read': (request: ChatReadRequest, ack: AckCallback<null>) => void;
  // The reply page stays live: the sender's status, and "call me back" (protocol/callback.ts).
  'status:watch': (request: StatusWatchRequest, ack: AckCallback<StatusWatched>) => void;
  'callback:request': (request: CallbackRequestBody, ack: AckCallback<null>) => void;
  // The desk's "asked to be called back" list: list, call back (rings the page), dismiss.
  'callback:list': (request: CallbackListRequest, ack: AckCallback<CallbackRequestView[]>) => void;
  'callback:call': (request: CallbackIdRequest, ack: AckCallback<CallbackCallResult>) => void;
  'callback:dismiss': (request: CallbackIdRequest, ack: AckCallback<null>) => void;
  // Media in the room the socket belongs to (a call, or a diagnostics room).
  'media:join': (request: JoinRoomRequest, ack: AckCallback<JoinRoomResult>) => void;
  'media:createTransport': (
    request: CreateTransportRequest,
    ack: AckCallback<TransportInfo>,
  ) => void;
  'media:connectTransport': (request: ConnectTransportRequest, ack: AckCallback<null>) => void;
  'media:produce': (request: ProduceRequest, ack: AckCallback<{ producerId: string }>) => void;
  'media:consume': (request: ConsumeRequest, ack: AckCallback<ConsumerInfo>) => void;
  'media:resumeConsumer': (request: ResumeConsumerRequest, ack: AckCallback<null>) => void;
  /** Stops one of the socket's own producers (before sending the track with another codec). */
  'media:closeProducer': (request: CloseProducerRequest, ack: AckCallback<null>) => void;
  /** New ICE credentials after the client's network changed. */
  'media:restartIce': (
    request: RestartIceRequest,
    ack: AckCallback<{ iceParameters: Record<string, unknown> }>,
  ) => void;
}

export interface ServerToClientEvents {
  'server:hello': (hello: ServerHello) => void;
  'devices:list': (devices: DeviceView[]) => void;
  'call:ring': (call: IncomingCall) => void;
  'call:ringEnded': (ended: RingEnded) => void;
  'call:progress': (progress: CallProgress) => void;
  'call:ended': (ended: CallEnded) => void;
  /** The node running this call has gone: a reply page resumes it (call:resume), a desk waits. */
  'call:lost': (lost: CallIdRequest) => void;
  /** Who is in the call now (sent to everyone in it on every change). */
  'call:participants': (participants: CallParticipants) => void;
  /** The call for a watched link's email started, changed or ended. */
  'group:state': (state: GroupCallState) => void;
  /** The sender asks this reply page to join a running call. */
  'group:invited': (invitation: GroupInvitation) => void;
  'media:newProducer': (producer: ProducerInfo) => void;
  /** The participant speaking loudest now (mediasoup's ActiveSpeakerObserver). */
  'media:activeSpeaker': (speaker: { peerId: string }) => void;
  'media:producerClosed': (producer: { producerId: string }) => void;
  /** The room's media worker died: set up media again in this new room (same call). */
  'media:roomMoved': (joined: JoinRoomResult) => void;
  /** Send this kind with this codec from now on (a phone leg settled on it). */
  'media:sendCodec': (request: SendCodecRequest) => void;
  /** A caller left the sender a voice message. */
  'voicemail:new': (message: VoicemailView) => void;
  'chat:message': (message: ChatMessage) => void;
  /** The sender's status changed (a reply page that watches it). */
  'status:changed': (update: SenderStatusUpdate) => void;
  /** The sender is free now (a reply page whose link asked to be called back). */
  'callback:free': (free: CallbackFree) => void;
  /** The sender calls this link's page back: it rings. */
  'callback:ring': (ring: CallbackRing) => void;
  /** The sender's call-back requests changed (every desk of the sender). */
  'callbacks:list': (requests: CallbackRequestView[]) => void;
  'chat:read': (read: ChatRead) => void;
}

// Events between signaling nodes (Socket.IO adapter); none yet.
export type InterServerEvents = Record<string, never>;

export interface SocketData {
  /** The client's address (a trusted proxy's X-Forwarded-For, else the peer). */
  clientAddress?: string;
  /** The sender's account, for desk-app sockets opened with a session cookie. */
  accountId?: number;
  /** The desk-app device this socket speaks for, after device:hello. */
  deviceId?: string;
  /** Set when the socket joined a diagnostics room. */
  roomName?: string;
}
