// Every Socket.IO request event is acknowledged with one of these two shapes.
import type { VoxError } from './errors.js';

export type Ack<T> = { ok: true; data: T } | { ok: false; error: VoxError };

export type AckCallback<T> = (ack: Ack<T>) => void;
