// The desk app's devices: registration, activity beats, the device list.
import { z } from 'zod';
import { MAX_DEVICE_LABEL_LENGTH } from './limits.js';

export const deviceIdSchema = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'is not a device id');

export const deviceHelloSchema = z.object({
  deviceId: deviceIdSchema,
  label: z.string().trim().min(1).max(MAX_DEVICE_LABEL_LENGTH),
  platform: z.string().trim().max(60).default(''),
});
export type DeviceHello = z.input<typeof deviceHelloSchema>;

/** Sent at most every few seconds while in use, and at once on idle -> active. */
export const activityBeatSchema = z.object({
  /** Milliseconds since the last keyboard, pointer or touch input on this device. */
  idleMs: z
    .number()
    .int()
    .min(0)
    .max(365 * 24 * 3600 * 1000),
  focused: z.boolean(),
  visible: z.boolean(),
});
export type ActivityBeat = z.infer<typeof activityBeatSchema>;

export const ringPreferenceSchema = z.enum(['normal', 'never', 'always']);
export type RingPreference = z.infer<typeof ringPreferenceSchema>;

export const updateDeviceSchema = z.object({
  deviceId: deviceIdSchema,
  label: z.string().trim().min(1).max(MAX_DEVICE_LABEL_LENGTH).optional(),
  ringPreference: ringPreferenceSchema.optional(),
});
export type UpdateDeviceRequest = z.infer<typeof updateDeviceSchema>;

export type DeviceState = 'active' | 'idle' | 'sleeping' | 'offline';

export interface DeviceView {
  deviceId: string;
  label: string;
  platform: string;
  state: DeviceState;
  ringPreference: RingPreference;
  /** ISO time of the last real input seen, if any. */
  lastInputAt: string | null;
  /** Its installed app is rung by notification (Web Push) when closed. */
  notificationRings: boolean;
}
