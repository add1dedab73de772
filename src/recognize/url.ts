// TEMPORARY shim until the url module lands (replaced wholesale).
import { urlSpans } from '../policy/scan.ts';
export interface UrlHost { host: string; port?: number; start: number; end: number; hasUserinfo: boolean }
export function urlHosts(text: string, opts: { schemeRelative?: boolean } = {}): UrlHost[] {
  const clean = text.includes('\t') || text.includes('\n') ? text : text;
  const out: UrlHost[] = urlSpans(clean).map((u) => ({ host: u.host, ...(u.port !== undefined ? { port: u.port } : {}), start: u.start, end: u.end, hasUserinfo: u.user !== undefined }));
  if (opts.schemeRelative && text.startsWith('//')) {
    let e = 2; while (e < text.length && !'/?#\\ '.includes(text[e]!)) e++;
    const auth = text.slice(2, e); const h = auth.slice(auth.lastIndexOf('@') + 1);
    const c = h.lastIndexOf(':');
    out.unshift({ host: c > 0 && !h.endsWith(']') ? h.slice(0, c) : h, start: 0, end: e, hasUserinfo: auth.includes('@') });
  }
  return out;
}
