// Command lines read as the program reads them: which word of a command sits in a credential
// position (a password flag, a positional password, a sensitive assignment). What the word
// holds is judged by literals.ts; this module says where to look.

import { programName, type Command, type CommandWord } from '../objects/commands.ts';
import { isLiteralSecret } from './literals.ts';
import { isSensitiveName, nameFacts, type NameSettings } from './names.ts';

const MYSQL_CLIENTS = /(^|\/)(mysql|mysqldump|mysqladmin|mariadb|mariadb-dump|mysqlimport|mysqlshow)$/;
/** Tools whose one-letter flag takes a password as the next word (their manuals say so). */
const PASSWORD_SHORT_FLAGS = new Map([
  ['redis-cli', '-a'], ['valkey-cli', '-a'], ['keydb-cli', '-a'], ['sshpass', '-p'],
  ['ldapsearch', '-w'], ['ldapmodify', '-w'], ['ldapadd', '-w'], ['ldapdelete', '-w'], ['ldapwhoami', '-w'], ['ldappasswd', '-w'],
  ['mongo', '-p'], ['mongosh', '-p'], ['mongodump', '-p'], ['mongorestore', '-p'], ['mongoexport', '-p'], ['mongoimport', '-p'],
]);
/** `docker login -p`, `podman login -p`, `helm registry login -p`: the subcommand decides. */
const LOGIN_TOOLS = new Set(['docker', 'podman', 'buildah', 'skopeo', 'nerdctl', 'helm', 'oras', 'crane']);
const CURL_LIKE = /(^|\/)(curl|wget)$/;
const FLAG = /^--?([A-Za-z][A-Za-z0-9_.-]*)(?:=(.*))?$/s;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
const USER_PASSWORD = /^[^:\s]+:./s;

type Word = CommandWord;

/** Words the documentation writes for "your user" and "your password": `username:password`, `user:pass`. */
const GENERIC_USERS = new Set(['user', 'username', 'usr', 'login', 'name', 'email', 'id', 'client', 'clientid', 'client_id', 'key']);
const GENERIC_PASSWORDS = new Set(['password', 'pass', 'passwd', 'pwd', 'secret', 'token', 'apikey', 'api_key', 'key']);

/** `user:pw` for curl -u: a literal password, not `<user:password>`, `$1:$2` or `username:password`. */
function isUserPassword(word: string): boolean {
  if (word.startsWith('<') && word.endsWith('>')) return false;
  const colon = word.indexOf(':');
  const user = word.slice(0, colon).toLowerCase();
  const password = word.slice(colon + 1);
  if (GENERIC_USERS.has(user) && GENERIC_PASSWORDS.has(password.toLowerCase())) return false;
  return isLiteralSecret(password);
}

/** Tools that take a password as a positional argument, and which one. */
const POSITIONAL_PASSWORDS: Record<string, (args: readonly Word[], s: NameSettings) => Word | undefined> = {
  // htpasswd -b[c…] FILE USER PASSWORD; with -n there is no FILE: htpasswd -nb USER PASSWORD.
  htpasswd: (args) => {
    const flags = args.filter((a) => a.text.startsWith('-')).map((a) => a.text.slice(1)).join('');
    if (!flags.includes('b')) return undefined;
    const positional = args.filter((a) => !a.text.startsWith('-'));
    const pw = positional[flags.includes('n') ? 1 : 2];
    return pw && isLiteralSecret(pw.text) ? pw : undefined;
  },
  // aws configure set [profile.]aws_secret_access_key VALUE
  aws: (args, s) => {
    if (args[0]?.text !== 'configure' || args[1]?.text !== 'set') return undefined;
    const [key, value] = [args[2], args[3]];
    return key && value && isSensitiveName(key.text, s) && isLiteralSecret(value.text) ? value : undefined;
  },
};

/**
 * Credentials passed on one command line (from the command-line view, so wrappers and nested
 * scripts are already looked through): --password=x, --token x, -pSECRET (mysql), -u user:pw
 * (curl), a tool's password flag (redis-cli -a x, sshpass -p x, docker login -p x), NAME=x.
 */
export function inCommand(cmd: Command, s: NameSettings, found: (source: number, what: string) => void): void {
  for (const a of cmd.assignments) {
    // PGPASSWORD=x psql ..., export API_TOKEN=x, env K=V cmd
    if (nameFacts(a.name, s).sensitive && isLiteralSecret(a.value)) found(a.word.source, 'password on the command line');
  }
  // A comment's words read as a command of their own: a password written there is stored all the same.
  const program = cmd.comment ? programName(cmd.args[0]?.text ?? '') : cmd.program;
  const words = cmd.comment ? cmd.args.slice(1) : cmd.args;
  const mysql = MYSQL_CLIENTS.test(program);
  const curl = CURL_LIKE.test(program);
  let shortFlag = PASSWORD_SHORT_FLAGS.get(program);
  const login = LOGIN_TOOLS.has(program);
  const positional = POSITIONAL_PASSWORDS[program]?.(words, s);
  if (positional !== undefined) found(positional.source, 'password on the command line');
  for (let i = 0; i < words.length; i++) {
    const { text: word, source } = words[i]!;
    const next = words[i + 1];
    const assign = word.includes('=') ? ASSIGNMENT.exec(word) : null;
    if (assign) {
      if (nameFacts(assign[1]!, s).sensitive && isLiteralSecret(assign[2]!)) found(source, 'password on the command line');
      continue;
    }
    if (login && word === 'login') shortFlag = '-p';
    if (shortFlag !== undefined && word === shortFlag && next && !next.text.startsWith('-') && isLiteralSecret(next.text)) {
      found(next.source, 'password on the command line');
      continue;
    }
    if (mysql && word.length > 2 && word.startsWith('-p') && isLiteralSecret(word.slice(2))) {
      found(source, 'password on the command line');
      continue;
    }
    if (word.charCodeAt(0) !== 45 /* - */) continue;
    const flag = FLAG.exec(word);
    if (!flag) continue;
    const [, name, inline] = flag;
    if (curl && (word === '-u' || word === '--user') && next && USER_PASSWORD.test(next.text) && isUserPassword(next.text)) {
      found(next.source, 'password on the command line');
    } else if (name!.length > 1 && nameFacts(name!, s).sensitive) {
      if (inline !== undefined) {
        if (isLiteralSecret(inline)) found(source, 'credential on the command line');
      } else if (next && !next.text.startsWith('-') && isLiteralSecret(next.text)) {
        found(next.source, 'credential on the command line');
      }
    }
  }
}

