// AdmissionResponse warnings become HTTP Warning headers. The API server drops a warning
// that contains a newline, and once the warnings of a response pass 4096 runes it cuts each
// to 256 runes and then drops the rest (k8s.io/apiserver/pkg/endpoints/filters/warning.go).
// We fit the list into that budget ourselves so the user always learns how many were cut.

export const TOTAL_RUNES = 4096;
export const ITEM_RUNES = 256;
/** Room per warning for the agent text the API server prepends ("admission webhook ... "). */
const AGENT_OVERHEAD = 64;

const runes = (s: string): number => [...s].length;

function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '…';
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '');
}

/** `unwritten`: warnings left out before this call (past what could be shown); counted in the "more" line. */
export function fitWarnings(warnings: readonly string[], unwritten = 0): string[] {
  const unique = [...new Set(warnings.map(oneLine))];
  // A string's length bounds its runes from above: runes are counted only when the lengths
  // alone do not show that the list fits.
  let total = 0;
  for (const w of unique) total += w.length + AGENT_OVERHEAD;
  if (total > TOTAL_RUNES) total = unique.reduce((n, w) => n + runes(w) + AGENT_OVERHEAD, 0);
  if (total <= TOTAL_RUNES && unwritten === 0) return unique;
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < unique.length; i++) {
    const short = cut(unique[i]!, ITEM_RUNES - AGENT_OVERHEAD);
    const left = unique.length - i + unwritten;
    // Keep room for the closing "N more" line.
    if (used + runes(short) + AGENT_OVERHEAD > TOTAL_RUNES - 2 * AGENT_OVERHEAD - 60 && left > 1) {
      out.push(`extguard: ${left} more warning(s) not shown; run "extguard check" on the manifest for the full list`);
      return out;
    }
    out.push(short);
    used += runes(short) + AGENT_OVERHEAD;
  }
  if (unwritten > 0) out.push(`extguard: ${unwritten} more warning(s) not shown; run "extguard check" on the manifest for the full list`);
  return out;
}
