// What a container really receives: the kubelet expands `$(VAR)` in env values, command and
// args before the process starts, so a literal can be assembled from parts that each look
// harmless (`DB_PASSWORD=$(EMPTY)hunter2`, with EMPTY=""). The rules judge the expanded text.
//
// Facts from the kubelet (third_party/forked/golang/expansion): `$(NAME)` of a known variable
// becomes its value; an unknown one stays as written; `$$` is one `$`; `$(` with no `)` later
// and `$` before any other character are kept as they are.
//
// What the kubelet knows and we do not (values from Secrets, ConfigMaps, the downward API,
// envFrom, service links, or a reference left unexpanded that a shell may expand at run time)
// becomes OPAQUE: one character that stands for "a value that is not in the object". `${…}`
// and `{{…}}` are plain text to Kubernetes but placeholders to the programs and templating
// tools that read them, so they become OPAQUE too. Rules judge the literal text around OPAQUE
// and never the placeholder itself.

/** Stands for a value not written in the object (a Private Use Area character). */
export const OPAQUE = '\uE000';
/** What an OPAQUE character already in the input becomes, so the input cannot forge one. */
const FORGED_OPAQUE = '\uFFFD';

/** The text with any OPAQUE character it already holds replaced, so the input cannot forge one. */
export function unforged(text: string): string {
  return text.includes(OPAQUE) ? text.split(OPAQUE).join(FORGED_OPAQUE) : text;
}

/** Characters a container's expansions may add beyond its own text: past this the object is a bomb. */
export const EXPANSION_ALLOWANCE = 1024 * 1024;

/**
 * `A=aaaa…`, `B=$(A)$(A)…`, `C=$(B)$(B)…` doubles at each step: the kubelet would build
 * gigabytes. Expansion stops at EXPANSION_ALLOWANCE added characters and the object is
 * answered as one too complex to judge, the same answer a judgement past its deadline gets.
 */
export class ExpansionLimitError extends Error {
  override name = 'ExpansionLimitError';
}

/** A variable as the expansion sees it: its value when written in the object, else unknown. */
export interface Known {
  /** Expanded value (may hold OPAQUE), or undefined when the value is not in the object. */
  value: string | undefined;
  /** Index of the env entry that defined it, for tracing where a value flows. */
  index: number;
}

/** Counts characters added by substitution across one object. */
export interface ExpansionBudget { left: number }

export function newBudget(): ExpansionBudget {
  return { left: EXPANSION_ALLOWANCE };
}

/**
 * Expands `$(NAME)` the way the kubelet does, with `vars` as the variables defined so far.
 * `onRef` gets the env index of each variable whose value was used. Linear: the position of
 * the next `)` is found once and reused until the scan passes it.
 */
export function expandReferences(input: string, vars: ReadonlyMap<string, Known>, budget: ExpansionBudget, onRef?: (index: number) => void): string {
  input = unforged(input);
  if (!input.includes('$')) return input;
  let out = '';
  let checkpoint = 0;
  let close = -1;
  for (let i = input.indexOf('$'); i >= 0 && i + 1 < input.length; i = input.indexOf('$', i)) {
    out += input.slice(checkpoint, i);
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      if (close !== -2 && close < i + 2) close = input.indexOf(')', i + 2);
      if (close < 0) {
        // No ")" anywhere after: kept as written, and no later "$(" can close either.
        close = -2;
        out += '$(';
        i += 2;
      } else {
        const known = vars.get(input.slice(i + 2, close));
        if (known?.value !== undefined) {
          budget.left -= known.value.length;
          if (budget.left < 0) throw new ExpansionLimitError(`$(VAR) references expand to more than ${EXPANSION_ALLOWANCE} characters`);
          out += known.value;
        } else if (known || isVariableName(input, i + 2, close)) {
          out += OPAQUE;
        } else {
          // No variable can have this name (only written env entries may, and those are
          // known): the kubelet leaves it as written, and a shell then runs it as a command
          // substitution, `$(curl https://host/)`, which the command-line view reads.
          out += input.slice(i, close + 1);
        }
        if (known) onRef?.(known.index);
        i = close + 1;
      }
    } else {
      out += '$' + next;
      i += 2;
    }
    checkpoint = i;
  }
  return out + input.slice(checkpoint);
}

/**
 * A name a variable the object does not show could have: service links and `envFrom` keys
 * (ConfigMap and Secret keys are `[-._a-zA-Z0-9]+`). Anything else is text to the kubelet.
 */
function isVariableName(text: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (!(isNameChar(c) || c === 45 || c === 46)) return false;
  }
  return true;
}

/** `{{…}}` holding only letters and digits (`{{hunter2}}`): not template code. */
function isBareWord(text: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return false;
  }
  return true;
}

/** Longest `{{…}}` taken for template code: past it, or across a line, it is text. */
const MAX_TEMPLATE_ACTION = 256;

/** A shell or environment variable name's first character, and the rest (as char codes). */
export const isNameStart = (c: number): boolean => c === 95 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
export const isNameChar = (c: number): boolean => isNameStart(c) || (c >= 48 && c <= 57);

/**
 * Placeholders become OPAQUE, so the rules judge the text around them:
 * - `${NAME}`, and the `${NAME` of `${NAME:-default}`: the default stays, since it is what the
 *   program gets when NAME is unset (a shell's, Spring's or envsubst's placeholder);
 * - `{{ … }}` on one line, up to MAX_TEMPLATE_ACTION characters: template code (Helm, Go,
 *   Jinja) left unrendered. A longer or multi-line span is judged as text, so a pair of braces
 *   cannot hide a script. Nothing renders templates after admission (Helm and its kin render
 *   before the API server sees the object), so `{{hunter2}}`, one bare word of letters and
 *   digits, is what the container gets: text. Template code has a `.`, `$`, `_`, a space or a
 *   pipe in it (`{{ .Values.x }}`, `{{API_TOKEN}}`, `{{ x | b64enc }}`).
 * One pass: the next `}}` and newline are searched once and reused while the scan is behind them.
 */
const DOTTED_PATH = new Set([...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-[]']);

/** Config providers named before `:` inside `${…}` (OpenTelemetry, Kafka, Strimzi, Spring Cloud, Quarkus). */
const PROVIDERS = new Set(['env', 'file', 'directory', 'secrets', 'strimzienv', 'strimzisecrets', 'strimzifile', 'vault', 'aws', 'gcp', 'azure', 'sm', 'yaml', 'http', 'https', 'k8s', 'secret', 'configmap', 'sys', 'system']);

export function maskPlaceholders(text: string): string {
  if (!text.includes('${') && !text.includes('{{')) return text;
  let out = '';
  let checkpoint = 0;
  let close = -1;
  let newline = -1;
  for (let i = 0; i < text.length - 1; i++) {
    const c = text[i];
    if (c === '$' && text[i + 1] === '{') {
      let j = i + 2;
      if (text[j] === '#' || text[j] === '!') j++;
      if (!isNameStart(text.charCodeAt(j))) continue;
      while (isNameChar(text.charCodeAt(j))) j++;
      // A dotted path (Spring `${db.password}`, Terraform `${var.key}`,
      // `${aws_db_instance.main.password}`) is one placeholder when a `}` closes it.
      let k = j;
      while (k < text.length && k - j < 256 && DOTTED_PATH.has(text[k]!)) k++;
      if (k > j && text[k] === '}') j = k;
      // A config provider's reference (OpenTelemetry `${env:API_KEY}`, Kafka
      // `${file:/etc/kafka/pw.properties:password}`, Strimzi `${secrets:ns/name:key}`): the
      // program resolves it, so the whole of it is run-time text, not a default value.
      else if (text[j] === ':' && PROVIDERS.has(text.slice(i + 2, j))) {
        let e = j + 1;
        while (e < text.length && e - j < 256 && text[e] !== '}' && text[e] !== '\n' && text[e] !== '$') e++;
        if (text[e] === '}') j = e;
      }
      if (text[j] === '}') j++;
      out += text.slice(checkpoint, i) + OPAQUE;
      checkpoint = j;
      i = j - 1;
    } else if (c === '{' && text[i + 1] === '{') {
      if (close !== -2 && close < i + 2) close = text.indexOf('}}', i + 2);
      if (close < 0) { close = -2; continue; }
      if (newline !== -2 && newline < i + 2) newline = text.indexOf('\n', i + 2);
      if (newline < 0) newline = -2;
      if (close - (i + 2) > MAX_TEMPLATE_ACTION || (newline >= 0 && newline < close) || isBareWord(text, i + 2, close)) continue;
      out += text.slice(checkpoint, i) + OPAQUE;
      checkpoint = close + 2;
      i = close + 1;
    }
  }
  return out + text.slice(checkpoint);
}
