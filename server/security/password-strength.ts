// Refusing guessable passwords with zxcvbn-ts (a maintained port of Dropbox's
// estimator): its common-password lists, keyboard patterns, repeats and
// sequences, plus the person's own name and address as words an attacker tries.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';

/**
 * zxcvbn scores 0-4; 3 means about 10^8 guesses or more ("safely
 * unguessable" against an online attack with throttling, and slow to crack
 * offline behind scrypt).
 */
export const MIN_PASSWORD_SCORE = 3;

// Built once: loading the dictionaries takes a few tens of milliseconds.
const estimator = new ZxcvbnFactory({
  dictionary: { ...common.dictionary },
  graphs: common.adjacencyGraphs,
});

/** Why this password is refused, in a sentence for the sign-up form, or null when it is fine. */
export function passwordWeakness(password: string, personal: string[]): string | null {
  if (password.trim() === '') return 'The password is only spaces; choose one with words in it.';
  const result = estimator.check(password, personal);
  if (result.score >= MIN_PASSWORD_SCORE) return null;
  return 'This password is too easy to guess; a few unrelated words together are stronger.';
}
