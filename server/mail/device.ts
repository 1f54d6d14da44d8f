// The "Reply by voice" device an email carries (issue 5): HTML that survives
// Gmail, Outlook and Apple Mail (a table, inline styles, no script, no CSS
// classes, colours that read in dark mode too) and a plain-text line.

export interface DeviceOptions {
  /** The reply page (a link's /r/<token>). */
  replyUrl: string;
  /** The live status badge (/b/<token>.png). */
  badgeUrl: string;
  senderName: string;
  /** Also offer "Reply by video". */
  video: boolean;
}

export interface RenderedDevice {
  html: string;
  text: string;
}

/** Marks a body part that already carries a device (the relay never adds a second). */
export const DEVICE_MARKER = 'data-voxreply-device';

const BUTTON_STYLE = [
  'display:inline-block',
  'padding:10px 18px',
  'background-color:#1d4ed8',
  'color:#ffffff',
  'font-family:Arial,Helvetica,sans-serif',
  'font-size:15px',
  'font-weight:bold',
  'line-height:20px',
  'text-decoration:none',
  'border-radius:6px',
  'border:1px solid #1e40af',
].join(';');

export function renderDevice(options: DeviceOptions): RenderedDevice {
  const videoUrl = withVideoFlag(options.replyUrl);
  const cell = (content: string): string =>
    `<td style="padding:0 8px 0 0;vertical-align:middle;">${content}</td>`;
  const button = (url: string, label: string): string =>
    cell(`<a href="${escapeHtml(url)}" style="${BUTTON_STYLE}">${label}</a>`);
  const badge = cell(
    `<img src="${escapeHtml(options.badgeUrl)}" width="132" height="28" alt="${escapeHtml(
      `${options.senderName}'s status`,
    )}" style="display:block;border:0;">`,
  );
  const html = [
    `<table role="presentation" ${DEVICE_MARKER}="1" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;margin:16px 0;">`,
    '<tr>',
    button(options.replyUrl, 'Reply by voice'),
    ...(options.video ? [button(videoUrl, 'Reply by video')] : []),
    badge,
    '</tr>',
    '</table>',
    // One element a line: mail lines stay short (7bit and 8bit allow 998 bytes).
  ].join('\n');
  const text = [
    `Reply by voice: ${options.replyUrl}`,
    ...(options.video ? [`Reply by video: ${videoUrl}`] : []),
  ].join('\n');
  return { html, text };
}

function withVideoFlag(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('video', '1');
  return parsed.toString();
}

function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
