// TEMPORARY shim until the host-text module lands (replaced wholesale).
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

export interface HostText { host: string; ip?: 4 | 6 }

export const METADATA_HOSTS: ReadonlySet<string> = new Set([
  '169.254.169.254', 'fd00:ec2::254', '100.100.100.200', '169.254.170.2', '169.254.170.23', 'fd00:ec2::23',
  'metadata', 'metadata.google.internal', 'metadata.goog', 'metadata.azure.com', 'instance-data', 'instance-data.ec2.internal',
  'metadata.tencentyun.com', 'metadata.platformequinix.com', 'metadata.packet.net', 'metadata.oraclecloud.com',
]);

export function isMetadataHost(h: HostText): boolean { return METADATA_HOSTS.has(h.host); }

function numericIPv4(h: string, numeric: 'all' | 'dotted'): string | undefined {
  const labels = h.split('.');
  if (labels.length > 4 || !labels.every((l) => /^(?:0x[0-9a-f]*|[0-9]+)$/.test(l))) return undefined;
  if (numeric !== 'all' && labels.length !== 4 && !labels.some((l) => l.startsWith('0x'))) return undefined;
  const parts: number[] = [];
  for (const l of labels) {
    let n: number;
    if (l.startsWith('0x')) n = l.length === 2 ? 0 : Number.parseInt(l.slice(2), 16);
    else if (l.length > 1 && l.startsWith('0')) { if (!/^[0-7]+$/.test(l)) return undefined; n = Number.parseInt(l, 8); }
    else n = Number(l);
    if (!Number.isSafeInteger(n)) return undefined;
    parts.push(n);
  }
  const last = parts.pop()!;
  if (parts.some((p) => p > 255) || last >= 256 ** (4 - parts.length)) return undefined;
  let value = last;
  parts.forEach((p, i) => { value += p * 256 ** (3 - i); });
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

export function parseHost(raw: string, numeric: 'all' | 'dotted'): HostText | undefined {
  let h = raw.replace(/[\t\n\r]/g, '').trim().toLowerCase();
  if (h.length > 12 * 253) return undefined;
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const zone = h.indexOf('%');
  if (h.includes(':') && zone > 0) h = h.slice(0, zone);
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (isIP(h) === 6) {
    const m = /^::ffff:(?:([0-9.]+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/.exec(h);
    if (m) { if (m[1]) return { host: m[1], ip: 4 }; const a = Number.parseInt(m[2]!, 16); const b = Number.parseInt(m[3]!, 16); return { host: `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`, ip: 4 }; }
    return { host: h, ip: 6 };
  }
  if (/[^\x00-\x7f]|%/.test(h)) { try { h = domainToASCII(decodeURIComponent(h)); } catch { return undefined; } if (h.endsWith('.')) h = h.slice(0, -1); }
  if (h === '' || h.length > 253) return undefined;
  if (isIP(h) === 4) return { host: h, ip: 4 };
  const n = numericIPv4(h, numeric);
  if (n) return { host: n, ip: 4 };
  if (!h.split('.').every((l) => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l))) return undefined;
  return { host: h };
}
