// This browser's stable device id and its label, kept in localStorage.
const ID_KEY = 'voxreply.deviceId';
const LABEL_KEY = 'voxreply.deviceLabel';

export function deviceId(): string {
  let id = localStorage.getItem(ID_KEY);
  if (!id) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    id = btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
    localStorage.setItem(ID_KEY, id);
  }
  return id;
}

export function deviceLabel(): string {
  return localStorage.getItem(LABEL_KEY) ?? defaultLabel();
}

export function setDeviceLabel(label: string): void {
  localStorage.setItem(LABEL_KEY, label);
}

export function platform(): string {
  const ua = navigator.userAgent;
  if (/Android/i.test(ua)) return 'Android';
  if (/iPhone|iPad/i.test(ua)) return 'iOS';
  if (/Mac OS X/i.test(ua)) return 'macOS';
  if (/Windows/i.test(ua)) return 'Windows';
  if (/Linux/i.test(ua)) return 'Linux';
  return 'Browser';
}

function defaultLabel(): string {
  const browser = /Firefox/i.test(navigator.userAgent)
    ? 'Firefox'
    : /Edg\//i.test(navigator.userAgent)
      ? 'Edge'
      : /Chrome|Chromium/i.test(navigator.userAgent)
        ? 'Chrome'
        : 'Browser';
  return `${browser} on ${platform()}`;
}
