// Web Push settings (issue 18): the VAPID key pair the server signs pushes
// with, when given by configuration (else generated once and kept in the
// database: vapid-keys.ts), the VAPID subject push services may contact, and
// the push services pushes may go to (push-endpoints.ts). Part of config.ts's
// environment schema and of its Config.
import { createECDH } from 'node:crypto';
import { z } from 'zod';
import {
  BROWSER_PUSH_SERVICES,
  parsePushServiceHosts,
  type PushServiceHost,
} from './push-endpoints.js';

/** A base64url value of `bytes` bytes (no padding), as web-push reads VAPID keys. */
const base64urlKey = (bytes: number, what: string) =>
  z
    .string()
    .refine(
      (value) => /^[A-Za-z0-9_-]+$/.test(value) && Buffer.from(value, 'base64url').length === bytes,
      `must be ${what}: ${bytes} bytes in base64url (npx web-push generate-vapid-keys)`,
    );

/** Spread into config.ts's environment schema. */
export const pushEnvironment = {
  VAPID_PUBLIC_KEY: base64urlKey(65, 'a P-256 public key').optional(),
  VAPID_PRIVATE_KEY: base64urlKey(32, 'a P-256 private key').optional(),
  VAPID_SUBJECT: z
    .string()
    .refine((value) => {
      try {
        const url = new URL(value);
        return url.protocol === 'https:' || (url.protocol === 'mailto:' && value.includes('@'));
      } catch {
        return false;
      }
    }, 'must be a mailto: address or an https: URL (push services contact it about problems)')
    .optional(),
  PUSH_SERVICE_HOSTS: z
    .string()
    .transform((list, context) => {
      try {
        return parsePushServiceHosts(list);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    })
    .optional(),
};

/** Settings whose values stay out of error messages. */
export const QUIET_PUSH_SETTINGS = ['VAPID_PRIVATE_KEY'];

type PushEnvironment = z.infer<z.ZodObject<typeof pushEnvironment>>;

export interface VapidKeys {
  /** The uncompressed P-256 public key, base64url (browsers' applicationServerKey). */
  publicKey: string;
  /** The 32-byte private key, base64url. */
  privateKey: string;
}

export interface PushConfig {
  /** The VAPID key pair from configuration; undefined: generated once under dataDir. */
  vapidKeys: VapidKeys | undefined;
  /** The VAPID `sub`: whom a push service may contact (mailto: or https:). */
  vapidSubject: string;
  /** Where push subscriptions' endpoints may point (PUSH_SERVICE_HOSTS). */
  pushServiceHosts: PushServiceHost[];
}

/** A problem with the VAPID settings taken together, for config.ts's superRefine. */
export function pushEnvironmentProblem(
  env: PushEnvironment,
): { path: string; message: string } | undefined {
  const { VAPID_PUBLIC_KEY: publicKey, VAPID_PRIVATE_KEY: privateKey } = env;
  if (!publicKey && !privateKey) return undefined;
  if (!publicKey || !privateKey) {
    return {
      path: publicKey ? 'VAPID_PRIVATE_KEY' : 'VAPID_PUBLIC_KEY',
      message: 'must be set together with VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY (or neither)',
    };
  }
  if (!keysMatch(publicKey, privateKey)) {
    return { path: 'VAPID_PUBLIC_KEY', message: 'is not the public key of VAPID_PRIVATE_KEY' };
  }
  return undefined;
}

/** Whether `publicKey` is the P-256 public key of `privateKey` (both base64url). */
export function keysMatch(publicKey: string, privateKey: string): boolean {
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(privateKey, 'base64url'));
    return ecdh.getPublicKey().equals(Buffer.from(publicKey, 'base64url'));
  } catch {
    return false;
  }
}

/** The parsed settings as Config carries them; `hostname` is PUBLIC_URL's host. */
export function pushConfig(e: PushEnvironment, hostname: string): PushConfig {
  return {
    vapidKeys:
      e.VAPID_PUBLIC_KEY && e.VAPID_PRIVATE_KEY
        ? { publicKey: e.VAPID_PUBLIC_KEY, privateKey: e.VAPID_PRIVATE_KEY }
        : undefined,
    vapidSubject:
      e.VAPID_SUBJECT ?? `mailto:postmaster@${hostname.includes(':') ? `[${hostname}]` : hostname}`,
    pushServiceHosts: e.PUSH_SERVICE_HOSTS ?? [...BROWSER_PUSH_SERVICES],
  };
}
