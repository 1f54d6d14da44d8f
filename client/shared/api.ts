// JSON over HTTP to our own server; errors carry the server's message.
import type { ErrorBody } from '../../protocol/errors.js';
import { REQUEST_HEADER } from '../../protocol/http.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    // Our header, besides the Origin browsers send: the server refuses a
    // state-changing request with neither (CSRF from another port, ADR 006).
    headers: {
      [REQUEST_HEADER]: '1',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status === 204) return undefined as T;
  const data = (await response.json().catch(() => ({}))) as T | Partial<ErrorBody>;
  if (!response.ok) {
    const message =
      (data as Partial<ErrorBody>).error?.message ?? `request failed (${response.status})`;
    throw new ApiError(response.status, message);
  }
  return data as T;
}
