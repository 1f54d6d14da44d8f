// Messages the server writes itself (bounces, notifications), built by
// nodemailer's MailComposer into the bytes the spool keeps.
import MailComposer from 'nodemailer/lib/mail-composer';

export async function composeMessage(mail: MailComposer.Options): Promise<Buffer> {
  const node = new MailComposer({
    ...mail,
    xMailer: false,
    disableFileAccess: true,
    disableUrlAccess: true,
  }).compile();
  return new Promise((resolve, reject) => {
    node.build((error, message) => (error ? reject(error) : resolve(message)));
  });
}

/** The bare address of MAIL_FROM's "Name <address>" (an envelope's sender). */
export function envelopeAddress(from: string): string {
  return /<([^>]+)>/.exec(from)?.[1] ?? from.trim();
}
