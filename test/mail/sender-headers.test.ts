// The "only as yourself" check against header shapes that parsers and mail
// readers read differently (issue 16; the parser-mismatch class of "Composition
// Kills", USENIX Security 2020). Each shape below was accepted by the old
// check, which compared the flattened output of one parser: a second address
// it folded into the display name, an empty group it turned into no address at
// all, a display name that is an address. The property at the end holds our
// verdict against the parsers we have: whatever we accept, none of them sees
// an address other than the sender's, nor an address-looking display name.
import fc from 'fast-check';
import { simpleParser, type EmailAddress } from 'mailparser';
import addressparser, { type Address } from 'nodemailer/lib/addressparser';
import libmime from 'libmime';
import { describe, expect, it } from 'vitest';
import { checkSenderHeaders, SenderHeaderError } from '../../server/mail/sender-headers.js';

const OWN = 'me@own.example';
const VICTIM = 'victim@x.example';

// UTF-8, as a mail program sends it (RFC 6532).
const block = (lines: string[]) => Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);

/** The SMTP reply the check gives for `From: <value>`, or 'accepted'. */
function verdict(value: string, key = 'From', email = OWN): string {
  const headers = block([`${key}: ${value}`, 'Subject: x']);
  try {
    checkSenderHeaders(headers, email);
    return 'accepted';
  } catch (error) {
    if (!(error instanceof SenderHeaderError)) throw error;
    return `${error.responseCode} ${error.message}`;
  }
}

const refusedFrom = /^550 5\.7\.1 From must be your own address \(me@own\.example\), one mailbox/;

describe('the sender check takes exactly one mailbox, the sender’s own', () => {
  it.each([
    ['a second angle-addr after the mailbox', `"x" <${OWN}> <${VICTIM}>`],
    ['a stray addr-spec after the angle-addr', `<${OWN}> ${VICTIM}`],
    ['a stray addr-spec glued to the angle-addr', `<${OWN}>${VICTIM}`],
    ['two bare addr-specs', `${OWN} ${VICTIM}`],
    ['an empty group (no mailbox at all)', `${VICTIM}:;`],
    ['a group holding the own address', `Team: ${OWN};`],
    ['a display name that is an address', `"${VICTIM}" <${OWN}>`],
    ['an unquoted display name with an address', `${VICTIM} <${OWN}>`],
    [
      'an RFC 2047 display name that decodes to an address',
      `=?utf-8?q?victim=40x.example?= <${OWN}>`,
    ],
    [
      'a base64 RFC 2047 display name with an address',
      `=?utf-8?b?${Buffer.from(VICTIM).toString('base64')}?= <${OWN}>`,
    ],
    [
      'an encoded word inside quotes that decodes to an address',
      `"=?utf-8?q?victim=40x.example?=" <${OWN}>`,
    ],
    ['a fullwidth at sign in the display name', `"victim\uff20x.example" <${OWN}>`],
    ['a comment (readers show it as the name)', `${OWN} (${VICTIM})`],
    ['two mailboxes', `${OWN}, ${VICTIM}`],
    ['the own mailbox and an empty one', `${OWN},`],
    ['a foreign address', VICTIM],
    ['an empty value', ''],
    ['an address with the own one inside a quoted local part', `"${OWN}"@x.example`],
    ['an unclosed angle-addr', `Me <${OWN}`],
    ['a route (obs-route)', `<@x.example:${OWN}>`],
  ])('refuses %s', (_shape, value) => {
    expect(verdict(value)).toMatch(refusedFrom);
    expect(verdict(value, 'Sender')).toMatch(
      /^550 5\.7\.1 Sender must be your own address .*, one mailbox/,
    );
  });

  it.each([
    ['a bare addr-spec', OWN],
    ['an angle-addr', `<${OWN}>`],
    ['an atom display name', `Ada <${OWN}>`],
    ['a phrase with a dot (obs-phrase)', `Ada M. Lovelace <${OWN}>`],
    ['a quoted display name with specials', `"Lovelace, Ada (Countess)" <${OWN}>`],
    ['a quoted display name with a quoted-pair', `"Ada \\"A\\" L" <${OWN}>`],
    ['an RFC 2047 display name', `=?utf-8?q?Ada_L=C3=B8velace?= <${OWN}>`],
    ['the address in another case', `Ada <ME@OWN.EXAMPLE>`],
    ['a folded header', `Ada\r\n Lovelace\r\n\t<${OWN}>`],
    ['UTF-8 in the display name (RFC 6532)', `Ada Løvelace <${OWN}>`],
    ['the own address as the display name', `"${OWN}" <${OWN}>`],
  ])('accepts %s', (_shape, value) => {
    expect(verdict(value)).toBe('accepted');
  });

  it('checks a first line "From : x" (mbox look-alike) by the same rule', () => {
    const check = (value: string) => () =>
      checkSenderHeaders(block([`From : ${value}`, 'Subject: x']), OWN);
    expect(check(`<${OWN}> ${VICTIM}`)).toThrow(/From must be your own address .*, one mailbox/);
    expect(check(`Ada <${OWN}>`)).not.toThrow();
  });
});

describe('the sender check refuses a header block a reader may split differently', () => {
  it.each([
    ['a bare CR before a forged From', `Subject: x\rFrom: ${VICTIM}`],
    ['a bare CR at the end of a line', `Subject: x\r`],
    ['a NUL in a header', `Subject: x\0y`],
    ['a NUL in the From header', `From: <${OWN}>\0<${VICTIM}>`],
  ])('refuses %s with 554 5.6.0', (_shape, line) => {
    const headers = block([`From: <${OWN}>`, line]);
    expect(() => checkSenderHeaders(headers, OWN)).toThrow(
      expect.objectContaining({
        responseCode: 554,
        message: expect.stringMatching(/^5\.6\.0 .*bare CR or NUL/i) as string,
      }),
    );
  });
});

/** Every mailbox (group members included) and group in a parse by addressparser. */
function walk(list: Address[]): { addresses: string[]; names: string[]; groups: number } {
  const seen = { addresses: [] as string[], names: [] as string[], groups: 0 };
  for (const entry of list) {
    if (entry.group) {
      const inner = walk(entry.group);
      seen.groups += 1 + inner.groups;
      seen.addresses.push(...inner.addresses);
      seen.names.push(entry.name, ...inner.names);
    } else {
      seen.addresses.push(entry.address);
      seen.names.push(entry.name);
    }
  }
  return seen;
}

function mailparserWalk(list: EmailAddress[]): { addresses: string[]; names: string[] } {
  const seen = { addresses: [] as string[], names: [] as string[] };
  for (const entry of list) {
    seen.names.push(entry.name);
    if (entry.group) {
      const inner = mailparserWalk(entry.group);
      seen.addresses.push(...inner.addresses);
      seen.names.push(...inner.names);
    } else seen.addresses.push(entry.address ?? '');
  }
  return seen;
}

/** A display name shows no address, or only the sender's own. */
function expectNoForeignAddress(name: string): void {
  expect(name.toLowerCase().split(OWN).join('')).not.toMatch(/[@\uff20]/);
}

// Pieces a forger would put together: specials, whitespace and folds, both
// addresses, names, encoded words (an '@' in q and b encoding), comments.
const piece = fc.constantFrom(
  OWN,
  VICTIM,
  `<${OWN}>`,
  `<${VICTIM}>`,
  '<',
  '>',
  '"',
  '\\',
  '(',
  ')',
  ',',
  ';',
  ':',
  '@',
  '.',
  '[',
  ']',
  ' ',
  '\t',
  '\r\n ',
  'Ada',
  'x',
  'own.example',
  'me',
  '=?utf-8?q?victim=40x.example?=',
  `=?utf-8?b?${Buffer.from(VICTIM).toString('base64')}?=`,
  '=?utf-8?q?Ada?=',
  '\uff20',
);
const forged = fc.array(piece, { minLength: 1, maxLength: 8 }).map((parts) => parts.join(''));
// Well-formed mailboxes of the sender, so the property also sees acceptances.
const genuine = fc
  .tuple(
    fc.constantFrom(
      '',
      'Ada ',
      '"Ada, L" ',
      'Ada M. L ',
      '=?utf-8?q?Ada?= ',
      '"x@y" ',
      `"${OWN}" `,
    ),
    fc.constantFrom(`<${OWN}>`, `<ME@own.EXAMPLE>`, OWN),
    fc.constantFrom('', ' ', ' x', ` <${VICTIM}>`, ` ${VICTIM}`),
  )
  .map(([name, address, tail]) => (name && address === OWN ? address : name + address) + tail);

describe('our verdict against the parsers (property)', () => {
  it('never accepts a From in which addressparser or mailparser sees another address', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(forged, genuine), async (value) => {
        if (verdict(value) !== 'accepted') return;
        accepted += 1;
        const unfolded = value.replace(/\r\n(?=[ \t])/g, '');
        const parsed = walk(addressparser(unfolded));
        expect(parsed.groups).toBe(0);
        expect(parsed.addresses.map((a) => a.toLowerCase())).toEqual([OWN]);
        for (const name of parsed.names) expectNoForeignAddress(libmime.decodeWords(name));
        const mail = await simpleParser(`From: ${value}\r\nSubject: x\r\n\r\nbody\r\n`);
        const from = mail.from;
        const seen = mailparserWalk(from?.value ?? []);
        expect(seen.addresses.map((a) => a.toLowerCase())).toEqual([OWN]);
        for (const name of seen.names) expectNoForeignAddress(name);
        expect(from?.text.toLowerCase().split(OWN).join('')).not.toMatch(/[@\uff20]/);
      }),
      { seed: 160_017, numRuns: 3000 },
    );
    // The generator reaches acceptances (a change that stops doing so is a bug).
    expect(accepted).toBeGreaterThan(100);
  });
});
