// Every migration, in order. Listed in code (not read from a folder) so the
// built server and the tests run exactly the same set.
import type { Migration } from 'kysely';
import * as accounts from './001-accounts.js';
import * as calls from './002-calls.js';
import * as phones from './003-phones.js';
import * as mail from './004-mail.js';
import * as voicemail from './005-voicemail.js';
import * as chat from './006-chat.js';
import * as invitations from './007-invitations.js';
import * as chatKeys from './008-chat-keys.js';
import * as groupCalls from './009-group-calls.js';
import * as unfinishedCalls from './010-unfinished-calls.js';
import * as addressConfirmation from './011-address-confirmation.js';
import * as pushSubscriptions from './012-push-subscriptions.js';
import * as vapidKeys from './013-vapid-keys.js';
import * as phoneConfirmation from './014-phone-confirmation.js';
import * as offlineEmails from './015-offline-emails.js';
import * as callbackRequests from './016-callback-requests.js';
import * as accountBasics from './017-account-basics.js';

export const migrations: Record<string, Migration> = {
  '001-accounts': accounts,
  '002-calls': calls,
  '003-phones': phones,
  '004-mail': mail,
  '005-voicemail': voicemail,
  '006-chat': chat,
  '007-invitations': invitations,
  '008-chat-keys': chatKeys,
  '009-group-calls': groupCalls,
  '010-unfinished-calls': unfinishedCalls,
  '011-address-confirmation': addressConfirmation,
  '012-push-subscriptions': pushSubscriptions,
  '013-vapid-keys': vapidKeys,
  '014-phone-confirmation': phoneConfirmation,
  '015-offline-emails': offlineEmails,
  '016-callback-requests': callbackRequests,
  '017-account-basics': accountBasics,
};
