// The desk's form fields take their limits from protocol/limits.ts, which the
// server's schemas read too: a field never takes what the server would refuse,
// and a limit changes in one place.
import {
  AWAY_AFTER_MINUTES,
  FIRST_STAGE_SECONDS,
  MAX_ACCOUNT_NAME_LENGTH,
  MAX_APP_PASSWORD_LABEL_LENGTH,
  MAX_CHAT_LENGTH,
  MAX_DEVICE_LABEL_LENGTH,
  MAX_RECIPIENT_NAME_LENGTH,
  MAX_SUBJECT_LENGTH,
  MIN_PASSWORD_LENGTH,
  TOTAL_RING_SECONDS,
  type Range,
} from '../../protocol/limits.js';
import { byId } from '../shared/dom.js';

/** Sets the limits on the page's fields (all in its HTML from the start). */
export function applyInputLimits(): void {
  field('signup-form', 'name').maxLength = MAX_ACCOUNT_NAME_LENGTH;
  field('signup-form', 'password').minLength = MIN_PASSWORD_LENGTH;
  field('reset-form', 'password').minLength = MIN_PASSWORD_LENGTH;
  field('password-form', 'newPassword').minLength = MIN_PASSWORD_LENGTH;
  byId<HTMLInputElement>('device-label').maxLength = MAX_DEVICE_LABEL_LENGTH;
  bound(byId<HTMLInputElement>('t1'), FIRST_STAGE_SECONDS);
  bound(byId<HTMLInputElement>('t2'), TOTAL_RING_SECONDS);
  bound(byId<HTMLInputElement>('away-after'), AWAY_AFTER_MINUTES);
  field('app-password-form', 'label').maxLength = MAX_APP_PASSWORD_LABEL_LENGTH;
  field('link-form', 'recipientName').maxLength = MAX_RECIPIENT_NAME_LENGTH;
  field('link-form', 'subject').maxLength = MAX_SUBJECT_LENGTH;
  byId<HTMLInputElement>('chat-text').maxLength = MAX_CHAT_LENGTH;
}

function field(formId: string, name: string): HTMLInputElement {
  const element = byId<HTMLFormElement>(formId).elements.namedItem(name);
  if (!(element instanceof HTMLInputElement)) throw new Error(`missing #${formId} [${name}]`);
  return element;
}

function bound(input: HTMLInputElement, range: Range): void {
  input.min = String(range.min);
  input.max = String(range.max);
}
