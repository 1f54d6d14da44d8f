// "Email signature": the reply-by-voice device for the sender's signature
// link, previewed as mail shows it, copied as rich HTML (and plain text) for
// a mail client's signature editor.
import { api } from '../shared/api.js';
import { byId } from '../shared/dom.js';

interface SignatureDevice {
  url: string;
  html: string;
  text: string;
}

export async function bindSignature(): Promise<void> {
  const device = await api<SignatureDevice>('GET', '/api/links/signature/device');
  // Our own server's HTML (every value escaped there): shown as it is.
  byId('signature-preview').innerHTML = device.html;
  byId<HTMLTextAreaElement>('signature-html').value = device.html;
  const status = byId('signature-status');
  byId<HTMLButtonElement>('signature-copy').addEventListener('click', () => {
    copy(device).then(
      () => (status.textContent = 'Copied: paste it into your mail signature.'),
      () => (status.textContent = 'Copy failed: select the HTML below and copy it.'),
    );
  });
}

/** Rich copy where the browser allows it (a signature editor keeps the button), else the HTML. */
async function copy(device: SignatureDevice): Promise<void> {
  if ('ClipboardItem' in window) {
    await navigator.clipboard.write([
      new ClipboardItem({
        'text/html': new Blob([device.html], { type: 'text/html' }),
        'text/plain': new Blob([device.text], { type: 'text/plain' }),
      }),
    ]);
    return;
  }
  await navigator.clipboard.writeText(device.html);
}
