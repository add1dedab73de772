// A tar writer whose bytes depend only on the entries given: every header field is set by the
// caller (owner, mode, time), none is read from the disk it runs on. That is what makes the
// image layer reproducible, and lets the layer be built without root (no chown needed).
// POSIX ustar headers; a PAX extended header carries a path or link target over 100 bytes.

import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

export type EntryType = 'file' | 'dir' | 'symlink';

export interface TarEntry {
  /** Path inside the archive, relative, no leading slash; directories without a trailing one. */
  path: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  /** A file's content: bytes, or the file on disk to read them from. */
  content?: Buffer | { from: string };
  /** A symlink's target. */
  link?: string;
}

const BLOCK = 512;

/**
 * Tree order: a directory, then everything under it, names compared bytewise per component.
 * Plain string order would put `cli.js` between the directory `cli` and `cli/x.js`, and GNU tar,
 * which sets a directory's mtime once it sees a path outside it, would then see the directory
 * change again: unpacked mtimes would no longer be the archive's.
 */
export function treeOrder(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = Buffer.compare(Buffer.from(pa[i]!), Buffer.from(pb[i]!));
    if (c) return c;
  }
  return pa.length - pb.length;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, e: { mode: number; uid: number; gid: number; size: number; mtime: number; typeflag: string; link: string }): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(e.mode, 8), 100, 'ascii');
  h.write(octal(e.uid, 8), 108, 'ascii');
  h.write(octal(e.gid, 8), 116, 'ascii');
  h.write(octal(e.size, 12), 124, 'ascii');
  h.write(octal(e.mtime, 12), 136, 'ascii');
  h.write(' '.repeat(8), 148, 'ascii'); // the checksum is computed over spaces in its own field
  h.write(e.typeflag, 156, 'ascii');
  h.write(e.link, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

/** One PAX record: "<length> key=value\n", where length counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/**
 * Writes `entries` in the order given (callers sort them) to `file`, every entry with `mtime`
 * (seconds since the epoch). Returns the number of bytes written.
 */
export function writeTar(file: string, entries: TarEntry[], mtime: number): number {
  const fd = openSync(file, 'w');
  let written = 0;
  const put = (b: Buffer): void => { writeSync(fd, b); written += b.length; };
  try {
    for (const e of entries) {
      const name = e.type === 'dir' ? `${e.path}/` : e.path;
      const data = e.type !== 'file' ? Buffer.alloc(0)
        : Buffer.isBuffer(e.content) ? e.content
        : e.content ? readFileSync(e.content.from) : Buffer.alloc(0);
      const link = e.link ?? '';
      let pax = '';
      if (Buffer.byteLength(name) > 100) pax += paxRecord('path', name);
      if (Buffer.byteLength(link) > 100) pax += paxRecord('linkpath', link);
      if (pax) {
        const body = Buffer.from(pax, 'utf8');
        put(header('././@PaxHeader', { mode: 0o644, uid: 0, gid: 0, size: body.length, mtime, typeflag: 'x', link: '' }));
        put(body);
        put(padding(body.length));
      }
      const typeflag = e.type === 'file' ? '0' : e.type === 'dir' ? '5' : '2';
      put(header(name.slice(0, 100), { mode: e.mode, uid: e.uid, gid: e.gid, size: data.length, mtime, typeflag, link: link.slice(0, 100) }));
      if (data.length) {
        put(data);
        put(padding(data.length));
      }
    }
    put(Buffer.alloc(BLOCK * 2)); // end of archive: two zero blocks
  } finally {
    closeSync(fd);
  }
  return written;
}
