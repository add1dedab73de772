// Where a container's texts name a host, and how sure the position is. A host is what a
// position says is a host: a URL's authority, a value under a name that says host/address/
// endpoint, a network tool's argument, a host flag of any program, a host key in a config
// format, a pod field that holds an address. There the text is parsed the way the program that
// reads it would (`parseHost`), and the rule judges. Anywhere else a word that merely looks like
// a host is a `shape`: the rule never denies for it, at most it warns that it did not judge it.
//
// The tables (names, programs, flags, keys) are data: docs/detection.md lists them.

import { isIP } from 'node:net';
import { asciiClass } from '../objects/chars.ts';
import { isNameChar, isNameStart, OPAQUE } from '../objects/expand.ts';
import { trimEndChars, trimStartChars } from './scan.ts';
import { readCommandLines, type Command, type CommandReader, type CommandWord } from '../objects/commands.ts';
import type { ScannedText } from '../objects/texts.ts';
import { hostRole, type HostRole } from './host-names.ts';
import { METADATA_LABELS } from './host-text.ts';
import { urlHosts } from './url.ts';
import { withoutCredentials } from './command-credentials.ts';
import { NO_EXTRA_NAMES, type NameSettings } from './names.ts';

/** `position`: the place says it is a host (judged). `shape`: it only looks like one (never denied). */
export type Certainty = 'position' | 'shape';

export interface HostCandidate {
  /** Host text as written (before parseHost): a name, an address, `[v6]`. */
  raw: string;
  certainty: Certainty;
  /** Which numeric IPv4 forms count: all of them in a host position, dotted ones elsewhere. */
  numeric: 'all' | 'dotted';
  port?: number;
  /** Leading labels only known at run time (`$(REGION).example.com`): some host under `raw`. */
  under?: boolean;
  /** A bare word judged by shape: file names, Java classes and upper-case words are not hosts. */
  bare?: boolean;
}

type Add = (text: ScannedText, candidate: HostCandidate) => void;
/** A stretch of a text: [start, end). */
type Span = { start: number; end: number };

/** Programs that take URLs or `host/path` as arguments (curl evil.com/x). */
const URL_TOOLS = new Set(['curl', 'wget', 'http', 'https', 'xh', 'aria2c', 'lynx', 'w3m', 'links', 'elinks', 'httpie', 'websocat', 'wscat']);
/** Options of URL tools that take a value that is not a URL: the value is skipped. */
const URL_TOOL_VALUED = new Set([
  '-o', '--output', '-d', '--data', '--data-raw', '--data-binary', '--data-urlencode', '-H', '--header', '-u', '--user', '-A', '--user-agent',
  '-b', '--cookie', '-c', '--cookie-jar', '-w', '--write-out', '-T', '--upload-file', '-F', '--form', '-K', '--config', '--cacert', '--capath',
  '-E', '--cert', '--key', '-m', '--max-time', '--connect-timeout', '-X', '--request', '--retry', '--retry-delay', '--retry-max-time', '-r',
  '--range', '-C', '--continue-at', '--limit-rate', '-z', '--time-cond', '--interface', '-e', '--referer', '-O', '--output-document',
  '-P', '--directory-prefix', '-U', '-t', '--tries', '-T', '--timeout', '--header', '--post-data', '--post-file', '-i', '--input-file',
  '--user', '--password', '--http-user', '--http-password', '-a', '--append-output', '--ca-certificate', '--certificate', '--private-key',
  '--oauth2-bearer', '--proto', '--proto-redir', '--max-redirs', '--expect100-timeout', '--keepalive-time', '-Y', '--proxy-user', '-U',
]);
/** Options of URL tools whose value is a host or a URL that is reached: a proxy, a DNS server. */
const URL_TOOL_HOSTS = new Set(['-x', '--proxy', '--preproxy', '--socks4', '--socks4a', '--socks5', '--socks5-hostname', '--dns-servers', '--doh-url', '--url']);
/** Programs whose positional arguments are hosts (nc evil.sh 4444: .sh is a TLD there, not a file). */
const HOST_TOOLS = new Set(['nc', 'ncat', 'netcat', 'telnet', 'ping', 'ping6', 'traceroute', 'traceroute6', 'tracepath', 'mtr', 'ftp', 'lftp', 'tftp', 'ssh-keyscan', 'nmap', 'hping3', 'fping', 'iperf', 'iperf3', 'grpcurl', 'cqlsh']);
/** Options of host tools that take a non-host value. */
const HOST_TOOL_VALUED = new Set(['-p', '-s', '-w', '-i', '-q', '-X', '-e', '-W', '-I', '-t', '-T', '-O', '-u', '-k', '-C', '-H', '-d', '-plaintext', '-import-path', '-proto', '-rpc-header', '--username', '--password', '-f', '--file', '--cqlversion', '--request-timeout', '--connect-timeout']);
/** Programs that reach `[user@]host` and `[user@]host:path`. */
const LOGIN_TOOLS = new Set(['ssh', 'autossh', 'mosh', 'sftp', 'scp', 'rsync', 'git']);
/** Options of ssh-like tools that take a value (not a destination). */
const SSH_VALUED = new Set(['-b', '-c', '-D', '-E', '-e', '-F', '-I', '-i', '-L', '-l', '-m', '-O', '-o', '-p', '-P', '-Q', '-R', '-S', '-W', '-w', '-B', '--rsh', '--exclude', '--include', '--filter', '--port', '--password-file', '-C']);
/** Database clients whose `-h` (and glued `-hHOST`) is the server's host; sqlcmd's is `-S`. */
const DB_CLIENTS = new Map<string, string>([
  ...['psql', 'pg_dump', 'pg_dumpall', 'pg_restore', 'pg_isready', 'pg_basebackup', 'pg_receivewal', 'createdb', 'dropdb', 'createuser', 'dropuser',
    'vacuumdb', 'reindexdb', 'clusterdb', 'pgbench', 'mysql', 'mysqldump', 'mysqladmin', 'mysqlimport', 'mysqlshow', 'mysqlcheck', 'mysqlpump',
    'mysqlbinlog', 'mariadb', 'mariadb-dump', 'mariadb-admin', 'mariadb-check', 'mariadb-import', 'redis-cli', 'valkey-cli', 'keydb-cli',
    'redis-benchmark', 'clickhouse-client', 'mongo', 'mongosh', 'mongodump', 'mongorestore', 'mongoexport', 'mongoimport', 'mongostat', 'mongotop',
    'influx', 'memcached-tool', 'etcdctl', 'nats', 'rabbitmqadmin', 'cypher-shell'].map((p): [string, string] => [p, '-h']),
  ['sqlcmd', '-S'], ['bcp', '-S'], ['isql', '-S'],
]);
/** Programs whose `login` takes a registry's host. */
const REGISTRY_TOOLS = new Set(['docker', 'podman', 'nerdctl', 'buildah', 'helm', 'oras', 'crane', 'skopeo', 'regctl']);
/** Programs whose arguments are text to print, not places to reach. */
const TEXT_PROGRAMS = new Set(['echo', 'printf', 'logger', ':', 'true', 'false', 'test', '[']);
/**
 * Schemes that name no place to connect to: `ko://knative.dev/serving/cmd/x` is a Go import
 * path that ko replaces with an image before apply.
 */
const NOT_NETWORK_SCHEMES = new Set(['ko']);
/** socat-style address types before `host:port`: TCP:, TCP4-CONNECT:, OPENSSL:, UDP-SENDTO:... */
const SOCKET_TYPES = new Set(['tcp', 'tcp4', 'tcp6', 'tcp-connect', 'tcp4-connect', 'tcp6-connect', 'udp', 'udp4', 'udp6', 'udp-connect', 'udp4-connect',
  'udp6-connect', 'udp-sendto', 'udp4-sendto', 'udp6-sendto', 'sctp', 'sctp-connect', 'openssl', 'openssl-connect', 'ssl', 'ssl-connect', 'dtls', 'tls']);
/** socat address types whose first parameter is a proxy and the next a target: PROXY:proxy:host:port, SOCKS4A:socks:host:port. */
const PROXY_TYPES = new Set(['proxy', 'proxy-connect', 'socks', 'socks4', 'socks4a', 'socks5', 'socks5-connect']);

/**
 * Every host candidate of a container's (or the pod spec's) texts, with how sure its position
 * is. With `commandLines: false` only the fields are read, and the command lines are left to a
 * walk shared with the other rules (`hostsInCommands`).
 */
export function hostCandidates(texts: readonly ScannedText[], add: Add, commandLines = true): void {
  for (const t of texts) {
    switch (t.field) {
      // HTTP headers are sent to the probe's target; nothing in them is reached.
      case 'header':
        break;
      case 'env': case 'option':
        named(t.value, t.envName === undefined ? 'other' : hostRole(t.envName), (c) => add(t, c));
        break;
      case 'host':
        hostList(t.value, 'position', (c) => add(t, c), true);
        break;
      case 'search':
        // A search domain outside the cluster: every single-label name the pod resolves may
        // reach `<name>.<domain>`, some host under it.
        hostList(t.value, 'position', (c) => add(t, { ...c, under: true }));
        break;
      default:
        break; // command lines, below
    }
  }
  if (commandLines) readCommandLines(texts, [hostsInCommands(add)]);
}

/**
 * The host rule's reader of commands. Words in a credential position (a password flag's value,
 * a password in SQL, a line written to `.netrc`…) are taken out first, literal or not: a
 * password that looks like a host is never a host to show. `s` adds the configured sensitive names.
 */
export function hostsInCommands(add: Add, s: NameSettings = NO_EXTRA_NAMES): CommandReader<ScannedText> {
  return (cmd, textOf) => commandHosts(withoutCredentials(cmd, s), (w, c) => add(textOf(w.source), c));
}

/** A value under a name: what the name's role says, then URLs anywhere, then config pairs and shapes. */
function named(value: string, role: HostRole, add: (c: HostCandidate) => void): void {
  if (role === 'listed' || !mayHoldHost(value)) return;
  if (role === 'reach') { hostList(value, 'position', add, true); return; }
  structured(value, add, role === 'quiet' ? 'port' : 'all');
}

/**
 * Which shapes a value of no host role is warned about: `all` words that look like hosts (a
 * value under a name that says nothing, a program's plain argument), only `host:port` ones (a
 * value whose name says it is a module, a version, a prefix: `2.1.0.0` is a version there), or
 * `none`.
 */
type Shapes = 'all' | 'port' | 'none';

/**
 * A value of no known role: URL authorities are hosts wherever they are; inside config formats
 * (`key=value`, `key: value`, JSON) a key decides for its value; every other word is a shape.
 */
function structured(value: string, add: (c: HostCandidate) => void, shapesOf: Shapes = 'all'): void {
  if (!mayHoldHost(value)) return;
  const skip: Span[] = [];
  const quietValues: Span[] = [];
  forEachPair(value, (key, keyStart, start, end) => {
    const role = hostRole(key);
    // A key is never a host (`service.name=`, `group.id=`); its value is what its name says.
    // Only a key with a dot could read as a host by shape; skipping the others would only
    // allocate (1.4 MB of `a: b` lines is 280k keys).
    if (role === 'other') { if (key.includes('.')) skip.push({ start: keyStart, end: start }); return; }
    skip.push({ start: keyStart, end: role === 'reach' || role === 'listed' ? end : start });
    if (role === 'reach') hostList(value.slice(start, end), 'position', add, true);
    if (role === 'quiet') quietValues.push({ start, end });
  });
  // forEachPair visits pairs left to right: `skip` is sorted as built.
  const urls = urlHosts(value, { placesOnly: true });
  const inListed = spanCursor(skip);
  for (const u of urls) {
    if (inListed(u.start) || (u.scheme !== undefined && NOT_NETWORK_SCHEMES.has(u.scheme))) continue;
    urlCandidate(u.host, u.port, 'position', add);
  }
  oracleThin(value, add);
  if (shapesOf === 'none') return;
  shapes(value, mergeSpans(mergeSpans(skip, urls), quietValues), shapesOf === 'port', add);
}

/** Two lists of spans sorted by start, merged in one pass (a sort of every URL of a long text costs more than reading it). */
function mergeSpans(a: readonly Span[], b: readonly Span[]): Span[] {
  if (b.length === 0) return a as Span[];
  if (a.length === 0) return b as Span[];
  const out: Span[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]!.start <= b[j]!.start)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}

/**
 * Membership in sorted spans for positions asked in increasing order: one pass over the spans
 * for all questions (a `some` per question is quadratic on a text of many pairs and URLs).
 */
function spanCursor(spans: readonly Span[]): (at: number) => boolean {
  let next = 0;
  return (at) => {
    while (next < spans.length && spans[next]!.end <= at) next++;
    return next < spans.length && spans[next]!.start <= at;
  };
}

function urlCandidate(host: string, port: number | undefined, certainty: Certainty, add: (c: HostCandidate) => void): void {
  if (host === '') return;
  const h = opaqueShellVars(host);
  literalParts(h, (part, under) => add({ raw: trimEndChars(part, '.'), certainty, numeric: 'all', ...(port !== undefined ? { port } : {}), ...(under ? { under } : {}) }));
}

/**
 * A value that is a host or a list of them, as clients read DB_HOST, KAFKA_BROKERS, a
 * `--host` flag or a network tool's argument: items split at `,`, `;` and blanks, each
 * `[scheme://][user@]host[:port][/path]`, `//host/share`, `[v6]:port`, `tcp:host`.
 */
export function hostList(value: string, certainty: Certainty, add: (c: HostCandidate) => void, schemeRelative = false): void {
  if (!mayHoldHost(value)) return;
  const urls = urlHosts(value, { schemeRelative, placesOnly: true });
  for (const u of urls) if (u.scheme === undefined || !NOT_NETWORK_SCHEMES.has(u.scheme)) urlCandidate(u.host, u.port, certainty, add);
  let from = 0;
  const inUrl = spanCursor(urls);
  const item = (start: number, end: number): void => {
    if (end > start && !inUrl(start)) hostItem(value.slice(start, end), certainty, add);
  };
  for (let i = 0; i <= value.length; i++) {
    const c = value[i];
    if (i === value.length || c === ',' || c === ';' || c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '"' || c === "'") {
      item(from, i);
      from = i + 1;
    }
  }
}

/** Longest word that can still be a host with its decorations: a 253-character name, percent-encoded at worst. */
const MAX_ITEM = 12 * 253 + 64;

/**
 * Oracle's JDBC URLs have no `://`: `jdbc:oracle:thin:@host:1521:sid`,
 * `jdbc:oracle:thin:@//host:1521/service` (also `oci`). The host after `thin:@` is a URL's host.
 */
function oracleThin(value: string, add: (c: HostCandidate) => void): void {
  for (let at = value.indexOf(':@'); at >= 0; at = value.indexOf(':@', at + 2)) {
    const before = value.slice(Math.max(0, at - 4), at).toLowerCase();
    if (!before.endsWith('thin') && !before.endsWith('oci')) continue;
    let end = at + 2;
    while (end < value.length && end - at < MAX_ITEM && !' \t\n\r,;"\'()'.includes(value[end]!)) end++;
    hostItem(value.slice(at + 2, end), 'position', add);
    at = Math.max(at, end - 2); // the next search starts past what was read
  }
}

/** One item of a host list. */
function hostItem(raw: string, certainty: Certainty, add: (c: HostCandidate) => void): void {
  if (raw.length > MAX_ITEM || raw.includes('://')) return;
  let w = opaqueShellVars(raw);
  // jdbc:oracle:thin:@host:port:sid, jdbc:oracle:thin:@//host:port/service
  const at = w.lastIndexOf('@');
  if (at >= 0) w = w.slice(at + 1);
  if (w.startsWith('//')) w = w.slice(2);
  const colon = w.indexOf(':');
  if (colon > 0 && SOCKET_TYPES.has(w.slice(0, colon).toLowerCase())) w = w.slice(colon + 1);
  const slash = w.indexOf('/');
  if (slash === 0) return;
  if (slash > 0) w = w.slice(0, slash);
  hostPort(trimEndChars(w, '.:'), certainty, add);
}

/** `host`, `host:port`, `[v6]:port`, `v6`: the host and its port. */
function hostPort(w: string, certainty: Certainty, add: (c: HostCandidate) => void, bare = false): void {
  if (w === '') return;
  let host = w;
  let port: number | undefined;
  if (w.startsWith('[')) {
    const close = w.indexOf(']');
    if (close < 0) return;
    host = w.slice(0, close + 1);
    port = portOf(w.slice(close + 1));
  } else {
    const first = w.indexOf(':');
    // host:port, host:service (socat TCP:host:https), host:port:sid (Oracle): the part after
    // the first colon is not a host, unless the whole is an IPv6 address.
    if (first >= 0 && (first === w.lastIndexOf(':') || isIP(w) !== 6)) {
      host = w.slice(0, first);
      const second = w.indexOf(':', first + 1);
      port = portOf(second < 0 ? w.slice(first) : w.slice(first, second));
    }
  }
  literalParts(host, (part, under) => add({
    raw: trimEndChars(part, '.'), certainty, numeric: certainty === 'position' ? 'all' : 'dotted',
    ...(port !== undefined ? { port } : {}), ...(under ? { under } : {}), ...(bare ? { bare } : {}),
  }));
}

function portOf(rest: string): number | undefined {
  if (!rest.startsWith(':') || rest.length < 2 || rest.length > 6) return undefined;
  for (let i = 1; i < rest.length; i++) if (rest.charCodeAt(i) < 48 || rest.charCodeAt(i) > 57) return undefined;
  const n = Number(rest.slice(1));
  return n > 0 && n < 65536 ? n : undefined;
}

/** What separates words for shapes: whitespace, list and assignment punctuation, quotes, brackets, pipes. */
const WORD_BREAK = asciiClass(' \t\n\r\f\v,;=\'"()<>{}|&');

/** Words outside the given spans that look like hosts: shapes, never judged. */
function shapes(value: string, skip: readonly Span[], portOnly: boolean, add: (c: HostCandidate) => void): void {
  let start = -1;
  let next = 0;
  const word = (end: number): void => {
    if (start >= 0 && end > start) shapeWord(value.slice(start, end), portOnly, add);
    start = -1;
  };
  for (let i = 0; i < value.length; i++) {
    while (next < skip.length && skip[next]!.end <= i) next++;
    if (next < skip.length && i >= skip[next]!.start) { word(i); i = skip[next]!.end - 1; continue; }
    const c = value.charCodeAt(i);
    if (c < 128 ? WORD_BREAK[c] === 1 : c === 0x3000 || c === 0xa0) word(i);
    else if (start < 0) start = i;
  }
  word(value.length);
}

/** A word in no host position: an e-mail, a path, an image reference or a flag name is not a host. */
function shapeWord(raw: string, portOnly: boolean, add: (c: HostCandidate) => void): void {
  if (raw.length > MAX_ITEM || !mayHoldHost(raw) || raw.includes('@') || raw.includes('/') || raw.includes('\\')) return;
  if (raw.startsWith('-')) return;
  let w = raw;
  const colon = w.indexOf(':');
  if (colon > 0 && SOCKET_TYPES.has(w.slice(0, colon).toLowerCase())) {
    // `tcp-connect:host:5432`, `openssl:host:443`: the address type says what follows is a
    // host and a port, as a URL's scheme does (socat's arguments, an image whose entrypoint
    // is socat).
    const rest = w.slice(colon + 1);
    if (portOf(rest.slice(rest.lastIndexOf(':'))) !== undefined) { hostPort(trimEndChars(rest.split(',')[0]!, '.:'), 'position', add); return; }
    w = rest;
  }
  if (portOnly && portOf(w.slice(w.lastIndexOf(':'))) === undefined) return;
  hostPort(trimEndChars(w, '.:'), 'shape', add, true);
}

/** Hosts of one command, by what the program and its flags say. */
function commandHosts(cmd: Command, reached: (w: CommandWord, c: HostCandidate) => void): void {
  if (cmd.comment) return;
  // A here-document's line is text written somewhere, not run now: its words are shapes at most
  // (URLs in the body are read from the here-document itself, by the command it feeds).
  const add = cmd.embedded ? (w: CommandWord, c: HostCandidate): void => reached(w, { ...c, certainty: 'shape' }) : reached;
  for (const a of cmd.assignments) named(a.value, hostRole(a.name), (c) => add(a.word, c));
  for (const w of cmd.redirects) devTcp(w, add);
  // A here-document or here-string is text like an argument's: URLs and host keys in it are
  // read, by the command that reads it (`cat <<EOF | psql`: psql's reader knows which of it is a
  // password, and has taken that out).
  const input = cmd.stdin && !cmd.pipesOut ? cmd.stdin : cmd.pipedFrom?.stdin;
  if (input) structured(input.text, (c) => add(input, c));
  // A URL where a program was expected (`args` alone, starting with one) is still a URL.
  if (cmd.programWord && cmd.programWord.text.includes('://')) structured(cmd.programWord.text, (c) => add(cmd.programWord!, c), 'none');
  const p = cmd.program;
  const text = TEXT_PROGRAMS.has(p);
  const url = URL_TOOLS.has(p);
  const hostTool = HOST_TOOLS.has(p);
  const login = LOGIN_TOOLS.has(p);
  const dbFlag = DB_CLIENTS.get(p);
  const registry = REGISTRY_TOOLS.has(p);
  const args = cmd.args;
  let positional = 0;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    const t = w.text;
    // A plain word with no character a host needs (and not a metadata service's single label)
    // names nothing: counted as an argument, read no further.
    if (t.charCodeAt(0) !== 45 && !mayHoldHost(t) && !METADATA_LABELS.has(t.toLowerCase())) {
      positional++;
      if (t.includes('/dev/')) devTcp(w, add);
      continue;
    }
    const at = (c: HostCandidate): void => add(w, c);
    devTcp(w, add);
    if (text) { structured(t, (c) => at({ ...c, certainty: 'shape' })); continue; }
    if (t === '--' || t === '-') continue;
    if (t.startsWith('-') && t.length > 1) {
      const eq = t.indexOf('=');
      const flag = eq > 0 ? t.slice(0, eq) : t;
      const inline = eq > 0 ? t.slice(eq + 1) : undefined;
      const next = args[i + 1];
      const takeNext = (): CommandWord | undefined => (inline === undefined && next && !next.text.startsWith('-') ? (i++, next) : undefined);
      // A value glued to a short flag: mysql -hHOST.
      if (dbFlag && t.startsWith(dbFlag) && t.length > 2 && !t.startsWith('--')) { hostList(t.slice(2), 'position', at); continue; }
      if (dbFlag && flag === dbFlag) { const v = takeNext(); if (v) hostList(v.text, 'position', (c) => add(v, c)); continue; }
      if (url && URL_TOOL_HOSTS.has(flag)) { valueOf(inline, takeNext(), w, (v, vw) => hostList(v, 'position', (c) => add(vw, c), true)); continue; }
      if (url && flag === '--connect-to') { valueOf(inline, takeNext(), w, (v, vw) => connectTo(v, (c) => add(vw, c))); continue; }
      if (url && flag === '--resolve') { valueOf(inline, takeNext(), w, (v, vw) => resolveTo(v, (c) => add(vw, c))); continue; }
      if (url && URL_TOOL_VALUED.has(flag)) { valueOf(inline, takeNext(), w, (v, vw) => structured(v, (c) => add(vw, c))); continue; }
      if (login && p !== 'git' && flag === '-J') { valueOf(inline, takeNext(), w, (v, vw) => hostList(v, 'position', (c) => add(vw, c))); continue; }
      if (login && SSH_VALUED.has(flag)) { valueOf(inline, takeNext(), w, (v, vw) => structured(v, (c) => add(vw, c))); continue; }
      if (hostTool && HOST_TOOL_VALUED.has(flag)) { valueOf(inline, takeNext(), w, (v, vw) => structured(v, (c) => add(vw, c))); continue; }
      flagHosts(t, next, at, next ? (c) => add(next, c) : at, () => { i++; });
      continue;
    }
    positional++;
    if (url || hostTool) { hostList(t, 'position', at, true); continue; }
    // `docker login registry.example.com`, `helm registry login`, `oras login`, `skopeo login`.
    if (registry && args[i - 1]?.text === 'login') { hostList(t, 'position', at); continue; }
    if (login) { loginArg(t, p, positional, at); continue; }
    if (p === 'socat') { socatAddress(t, at); continue; }
    if ((p === 'dig' && t.startsWith('@'))) { hostList(t.slice(1), 'position', at); continue; }
    if ((p === 'nslookup' || p === 'host') && positional === 2) { hostList(t, 'position', at); continue; }
    structured(t, at);
  }
}

function valueOf(inline: string | undefined, next: CommandWord | undefined, flagWord: CommandWord, visit: (v: string, w: CommandWord) => void): void {
  if (inline !== undefined) visit(inline, flagWord);
  else if (next) visit(next.text, next);
}

/**
 * A flag of any program: `--name=value`, `--name value`, `-name value` (Go's flags take one
 * dash), `-Dkey=value` (Java system properties). The flag's name decides for its value.
 */
function flagHosts(word: string, next: CommandWord | undefined, add: (c: HostCandidate) => void, addNext: (c: HostCandidate) => void, consumeNext: () => void): void {
  if (word.startsWith('-D') && word.length > 2 && word[2] !== '-') {
    const eq = word.indexOf('=');
    if (eq > 2) named(word.slice(eq + 1), hostRole(word.slice(2, eq)), add);
    return;
  }
  const eq = word.indexOf('=');
  const name = trimStartChars(eq > 0 ? word.slice(0, eq) : word, '-');
  if (name.length < 2) {
    if (eq > 0) structured(word.slice(eq + 1), add);
    return;
  }
  const role = hostRole(name);
  if (eq > 0) { named(word.slice(eq + 1), role, add); return; }
  if (role === 'other' || !next || next.text.startsWith('-')) return;
  // `--host value`: a host flag takes the next word; a listed one's value is skipped with it.
  consumeNext();
  if (role === 'reach') hostList(next.text, 'position', addNext, true);
  else if (role === 'quiet') structured(next.text, addNext, 'port');
}

/** ssh/scp/rsync/git: `[user@]host`, `[user@]host:path`, `host::module`; git takes only the scp-like form. */
function loginArg(t: string, program: string, positional: number, add: (c: HostCandidate) => void): void {
  if (t.includes('://')) { hostList(t, 'position', add); return; }
  const colon = t.indexOf(':');
  const slash = t.indexOf('/');
  const scpLike = colon > 0 && (slash < 0 || colon < slash);
  const hostPart = scpLike ? t.slice(0, colon) : t;
  const destination = (program === 'ssh' || program === 'autossh' || program === 'mosh' || program === 'sftp') && positional === 1;
  if (scpLike || destination) {
    const h = hostPart.slice(hostPart.lastIndexOf('@') + 1);
    hostPort(h, 'position', add);
    return;
  }
  if (program !== 'git') structured(t, add);
}

/** socat's addresses: `TCP:host:port[,opts]`, `OPENSSL:host:https`, `PROXY:proxy:host:port`, `SOCKS4A:socks:host:port`. */
function socatAddress(t: string, add: (c: HostCandidate) => void): void {
  const colon = t.indexOf(':');
  if (colon <= 0) return;
  const type = t.slice(0, colon).toLowerCase();
  const rest = t.slice(colon + 1).split(',')[0]!;
  if (SOCKET_TYPES.has(type)) { hostPort(lastColonSplit(rest), 'position', add); return; }
  if (PROXY_TYPES.has(type)) {
    for (const part of rest.split(':')) if (part !== '' && !/^[0-9]+$/.test(part)) hostPort(part, 'position', add);
  }
}

/** `host:port` or `host:service`: the host (brackets kept). */
function lastColonSplit(hp: string): string {
  if (hp.startsWith('[')) return hp.slice(0, hp.indexOf(']') + 1);
  const c = hp.lastIndexOf(':');
  return c > 0 ? hp.slice(0, c) : hp;
}

/** curl --connect-to HOST1:PORT1:HOST2:PORT2: HOST2 is where curl connects. */
function connectTo(v: string, add: (c: HostCandidate) => void): void {
  const parts = splitColons(v);
  if (parts[2]) hostPort(parts[2], 'position', add);
}

/** curl --resolve HOST:PORT:ADDR[,ADDR]: the addresses are where curl connects. */
function resolveTo(v: string, add: (c: HostCandidate) => void): void {
  const parts = splitColons(v);
  if (parts.length >= 3) hostList(parts.slice(2).join(':'), 'position', add);
}

/** Splits at colons outside brackets. */
function splitColons(v: string): string[] {
  const out: string[] = [];
  let cur = '';
  let bracket = false;
  for (const ch of v) {
    if (ch === '[') bracket = true;
    if (ch === ']') bracket = false;
    if (ch === ':' && !bracket) { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** bash's `/dev/tcp/HOST/PORT` and `/dev/udp/HOST/PORT`, anywhere in a word (`3<>/dev/tcp/h/443`). */
function devTcp(w: CommandWord, add: (w: CommandWord, c: HostCandidate) => void): void {
  const t = w.text;
  for (let i = t.indexOf('/dev/'); i >= 0; i = t.indexOf('/dev/', i + 5)) {
    const kind = t.slice(i + 5, i + 9);
    if (kind !== 'tcp/' && kind !== 'udp/') continue;
    const rest = t.slice(i + 9);
    const slash = rest.indexOf('/');
    const host = slash < 0 ? rest : rest.slice(0, slash);
    const port = slash < 0 ? undefined : portOf(`:${rest.slice(slash + 1).split(/[^0-9]/)[0]}`);
    if (host !== '') add(w, { raw: host, certainty: 'position', numeric: 'all', ...(port !== undefined ? { port } : {}) });
  }
}

/**
 * `key=value`, `key: value` and `"key": value` pairs in a text (properties, YAML, JSON, INI,
 * libpq conninfo, `-Dkey=value`, query strings): `visit(key, keyStart, valueStart, valueEnd)`. A value
 * runs to the next blank, `;`, `&` or quote, or to a `,` that starts another pair (so
 * `bootstrap.servers=a:9092,b:9092` keeps both hosts). Linear: each character is read a
 * bounded number of times.
 */
export function forEachPair(text: string, visit: (key: string, keyStart: number, start: number, end: number) => void): void {
  if (!text.includes('=') && !text.includes(':')) return;
  const n = text.length;
  // The next quote of each kind and the next newline, searched again only once passed: a text
  // of many unclosed quotes must not be searched to its end once per quote.
  const found = new Map<string, number>();
  const nextOf = (ch: string, from: number): number => {
    const known = found.get(ch);
    if (known !== undefined && (known >= from || known < 0)) return known;
    const at = text.indexOf(ch, from);
    found.set(ch, at);
    return at;
  };
  let i = 0;
  while (i < n) {
    // A key starts after a separator.
    const c = text[i]!;
    const atStart = i === 0 || SEPARATORS.includes(text[i - 1]!);
    if (!atStart || !isKeyStart(c)) { i++; continue; }
    let j = i;
    while (j < n && j - i < 128 && isKeyChar(text[j]!)) j++;
    let key = text.slice(i, j);
    if (key.startsWith('D') && text[i - 1] === '-' ) key = key.slice(1);
    let k = j;
    if (text[k] === '"' || text[k] === "'") k++;
    while (k < n && k - j < 16 && (text[k] === ' ' || text[k] === '\t')) k++;
    const sep = text[k];
    if ((sep !== '=' && sep !== ':') || (sep === ':' && text[k + 1] === '/' && text[k + 2] === '/') || key === '') { i = j > i ? j : i + 1; continue; }
    k++;
    if (sep === ':' && text[k] !== ' ' && text[k] !== '\t' && text[k] !== '"' && text[k] !== "'") { i = j; continue; } // host:port, not YAML
    while (k < n && k - j < 32 && (text[k] === ' ' || text[k] === '\t')) k++;
    let start = k;
    let end: number;
    const q = text[k];
    if (q === '"' || q === "'") {
      start = k + 1;
      const close = nextOf(q, start);
      const nl = nextOf('\n', start);
      const line = nl < 0 ? n : nl;
      end = close >= 0 && close < line ? close : line;
    } else {
      end = start;
      while (end < n && !VALUE_END.includes(text[end]!)) {
        if (text[end] === ',' && startsPair(text, end + 1)) break;
        end++;
      }
    }
    visit(key, i, start, end);
    i = Math.max(end, j);
  }
}

const SEPARATORS = ' \t\n\r,;&?{(\'"-';
const VALUE_END = ' \t\n\r;&"\'}';
const isKeyStart = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isKeyChar = (c: string): boolean => isKeyStart(c) || (c >= '0' && c <= '9') || c === '.' || c === '-';

/** A `key=` starts at `at` (bounded look-ahead). */
function startsPair(text: string, at: number): boolean {
  let j = at;
  if (!isKeyStart(text[j] ?? '')) return false;
  while (j < text.length && j - at < 64 && isKeyChar(text[j]!)) j++;
  return text[j] === '=';
}

/**
 * Characters without which no text holds a host: a name needs a dot (or a colon, an "@"), a
 * numeric address a digit, an IDNA name a non-ASCII character or "%", and "$" or OPAQUE mark
 * run-time parts. Most values hold none, and skipping them is most of the rule's saving.
 */
const HOST_CHARS = asciiClass('.:@$%0123456789');
function mayHoldHost(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || HOST_CHARS[c] === 1) return true;
  }
  return false;
}

/** A shell's `$NAME` is a value chosen at run time, like OPAQUE: it becomes OPAQUE here. */
function opaqueShellVars(word: string): string {
  if (!word.includes('$')) return word;
  let out = '';
  let checkpoint = 0;
  for (let i = word.indexOf('$'); i >= 0; i = word.indexOf('$', i + 1)) {
    let j = i + 1;
    if (!isNameStart(word.charCodeAt(j))) continue;
    while (isNameChar(word.charCodeAt(j))) j++;
    out += word.slice(checkpoint, i) + OPAQUE;
    checkpoint = j;
    i = j - 1;
  }
  return out + word.slice(checkpoint);
}

/**
 * A name with parts only known at run time (`evil.com$(E)`, `$(REGION).evil.com`) is judged by
 * its literal parts: an opaque part cannot hide the name next to it. A part that starts with
 * "." after an opaque one is some host under that suffix.
 */
function literalParts(raw: string, visit: (part: string, under: boolean) => void): void {
  if (!raw.includes(OPAQUE)) { visit(raw, false); return; }
  raw.split(OPAQUE).forEach((part, i) => {
    if (part === '') return;
    if (i > 0 && part.startsWith('.')) visit(trimStartChars(part, '.'), true);
    else visit(part, false);
  });
}
