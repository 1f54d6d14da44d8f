// Self-signed certificates for loopback TLS in tests (openssl), valid for the
// given IP addresses.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCertificate {
  cert: string;
  key: string;
  /** Certificate and key in one file (baresip's sip_certificate). */
  both: string;
}

export function selfSignedCertificate(ips: string[]): TestCertificate {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-cert-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${ips[0] ?? 'localhost'}`,
      '-addext',
      `subjectAltName=${ips.map((ip) => `IP:${ip}`).join(',')}`,
    ],
    { stdio: 'ignore' },
  );
  const both = path.join(dir, 'both.pem');
  writeFileSync(both, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'));
  return { cert, key, both };
}
