// Who gets which copy of a relayed message. Each To/Cc/Bcc recipient gets a
// link of their own, so their copy carries their own device; recipients whose
// copies would be identical (no device: the sender's own address, or a message
// that is opted out or already carries one) share one delivery.

export interface HeaderRecipient {
  address: string;
  name: string | undefined;
}

/** The link a copy carries: for whom, and whether the headers name them (Bcc does not). */
export interface PlannedLink {
  recipientEmail: string;
  recipientName: string | undefined;
  blindCopy: boolean;
}

export interface PlannedCopy {
  recipients: string[];
  link: PlannedLink | null;
}

export interface RecipientPlanInput {
  /** RCPT TO addresses: who actually receives the message. */
  envelopeRecipients: string[];
  /** The To and Cc headers' addresses (with display names). */
  visibleRecipients: HeaderRecipient[];
  senderEmail: string;
  /** False when the message is opted out or already carries a device. */
  addDevice: boolean;
}

export function planCopies(input: RecipientPlanInput): PlannedCopy[] {
  const recipients = unique(input.envelopeRecipients);
  if (!input.addDevice) return [{ recipients, link: null }];
  const visible = new Map(
    input.visibleRecipients.map((recipient) => [recipient.address.toLowerCase(), recipient]),
  );
  const sender = input.senderEmail.toLowerCase();
  const plain = recipients.filter((address) => address.toLowerCase() === sender);
  const copies: PlannedCopy[] = recipients
    .filter((address) => address.toLowerCase() !== sender)
    .map((address) => {
      const named = visible.get(address.toLowerCase());
      return {
        recipients: [address],
        link: {
          recipientEmail: address.toLowerCase(),
          recipientName: named?.name || undefined,
          blindCopy: !named,
        },
      };
    });
  return plain.length > 0 ? [...copies, { recipients: plain, link: null }] : copies;
}

/** Envelope recipients once each (addresses compare case-insensitively). */
function unique(addresses: string[]): string[] {
  const seen = new Set<string>();
  return addresses.filter((address) => {
    const key = address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
