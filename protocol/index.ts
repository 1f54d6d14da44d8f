export * from './ack.js';
export * from './errors.js';
export * from './events.js';
export * from './health.js';
export * from './media.js';
