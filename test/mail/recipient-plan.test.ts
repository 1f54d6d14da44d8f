// Who gets which copy of a relayed message, and how the device goes into a
// body part whatever its charset.
import { describe, expect, it } from 'vitest';
import { canInsertInto, insertDevice } from '../../server/mail/device-insertion.js';
import { withoutBccHeader } from '../../server/mail/raw-headers.js';
import { planCopies } from '../../server/mail/recipient-plan.js';

const device = {
  html: '<table data-voxreply-device="1">\n<tr><td>Ada Lovelacé</td></tr>\n</table>',
  text: 'Reply by voice: https://v.example/r/x',
};

describe('planCopies', () => {
  const base = {
    visibleRecipients: [
      { address: 'Bob@Example.com', name: 'Bob Brown' },
      { address: 'carol@example.com', name: undefined },
    ],
    senderEmail: 'ada@example.org',
  };

  it('gives each recipient a copy with a link of their own; Bcc ones unnamed', () => {
    const copies = planCopies({
      ...base,
      envelopeRecipients: [
        'bob@example.com',
        'carol@example.com',
        'dave@example.com',
        'BOB@example.com',
      ],
      addDevice: true,
    });
    expect(copies).toEqual([
      {
        recipients: ['bob@example.com'],
        link: { recipientEmail: 'bob@example.com', recipientName: 'Bob Brown', blindCopy: false },
      },
      {
        recipients: ['carol@example.com'],
        link: { recipientEmail: 'carol@example.com', recipientName: undefined, blindCopy: false },
      },
      {
        recipients: ['dave@example.com'],
        link: { recipientEmail: 'dave@example.com', recipientName: undefined, blindCopy: true },
      },
    ]);
  });

  it('sends one copy to everyone when no device is added, and the sender a plain one', () => {
    const recipients = ['bob@example.com', 'carol@example.com'];
    expect(planCopies({ ...base, envelopeRecipients: recipients, addDevice: false })).toEqual([
      { recipients, link: null },
    ]);
    expect(
      planCopies({
        ...base,
        envelopeRecipients: ['Ada@example.org', 'bob@example.com'],
        addDevice: true,
      }).at(-1),
    ).toEqual({ recipients: ['Ada@example.org'], link: null });
  });
});

describe('insertDevice', () => {
  const part = (kind: 'html' | 'text', content: string, charset = 'utf-8') => ({
    kind,
    index: 0,
    content: Buffer.from(content, 'latin1'),
    charset,
  });

  it("puts the HTML device before the last </body>, in ASCII, with the part's line breaks", () => {
    const html = '<body><p>a</p><!-- </body> --></body>\r\n</html>';
    const out = insertDevice(part('html', html), device).toString('latin1');
    expect(out).toBe(
      '<body><p>a</p><!-- </body> -->\r\n<table data-voxreply-device="1">\r\n<tr><td>Ada Lovelac&#233;</td></tr>\r\n</table>\r\n</body>\r\n</html>',
    );
  });

  it('appends the text device after a blank line and keeps every original byte', () => {
    const latin1 = 'Caf\xe9 cr\xe8me';
    const out = insertDevice(part('text', latin1, 'iso-8859-1'), device);
    expect(out.subarray(0, latin1.length).equals(Buffer.from(latin1, 'latin1'))).toBe(true);
    expect(out.toString('latin1')).toBe(`${latin1}\n\n${device.text}\n`);
  });

  it('leaves UTF-16 parts alone', () => {
    expect(canInsertInto(part('text', '', 'UTF-16LE'))).toBe(false);
    expect(canInsertInto(part('text', '', 'windows-1252'))).toBe(true);
  });
});

describe('withoutBccHeader (mail the rewriter cannot read)', () => {
  it('drops the top-level Bcc header, folded lines too, and keeps every other byte', () => {
    const body = 'Content-Type: multipart/mixed\r\n\r\nBcc: not a header, body text\r\n';
    const message = Buffer.from(
      `From: ada@example.org\r\nBcc: dave@example.org,\r\n eve@example.org\r\nSubject: x\r\n\r\n${body}`,
    );
    expect(withoutBccHeader(message).toString()).toBe(
      `From: ada@example.org\r\nSubject: x\r\n\r\n${body}`,
    );
    const plain = Buffer.from('Subject: x\r\n\r\nhello');
    expect(withoutBccHeader(plain)).toBe(plain);
  });
});
