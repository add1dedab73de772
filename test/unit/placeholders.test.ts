// Issue 13: what a repository checkout holds besides real values. Substitution placeholders
// (filled by sed, envsubst, Maven, Octopus, Azure DevOps before apply) are not credentials,
// though a literal written next to one still is. Shell comments reach nothing, but a
// credential written in one is stored in the cluster all the same.
import { expect } from 'chai';
import { compileCredentialSettings, findCredentials } from '../../src/policy/credentials.ts';
import { compileHostSettings, findExternalHosts } from '../../src/policy/hosts.ts';
import { newBudget } from '../../src/objects/expand.ts';
import { containerTexts, type ScannedText } from '../../src/objects/texts.ts';

// Assembled at run time so this file holds no scanner-tripping literal.
const PW = ['Qz7', 'mV', '-rk2', 'Lp9w'].join('');

const credentialSettings = compileCredentialSettings({ sensitiveNames: [], extraPatterns: [] });
const hostSettings = compileHostSettings({ clusterDomain: 'cluster.local', internalCIDRs: ['10.0.0.0/8'] });
const noCluster = { hasNamespace: () => false, hasService: () => false };

const textsOf = (container: Record<string, unknown>): ScannedText[] =>
  containerTexts({ name: 'c', list: 'containers', index: 0, container: { name: 'c', ...container }, path: 'spec.containers[0]', pointer: '/spec/containers/0' }, newBudget()).texts;
const env = (name: string, value: string): ScannedText[] => textsOf({ env: [{ name, value }] });
const script = (s: string): ScannedText[] => textsOf({ command: ['sh', '-c', s] });
const credentials = (texts: ScannedText[]) => findCredentials(texts, credentialSettings);
const hosts = (texts: ScannedText[]) => findExternalHosts(texts, hostSettings, noCluster).map((f) => f.host);

describe('substitution placeholders (issue 13)', () => {
  const placeholders: [string, string, string][] = [
    ['the name plus _VAL, for sed', 'GOOGLE_API_KEY', 'GOOGLE_API_KEY_VAL'],
    ['the name itself', 'API_KEY', 'API_KEY'],
    ['__NAME__ (sed, Azure DevOps token replacement)', 'DB_PASSWORD', '__DB_PASSWORD__'],
    ['__NAME__ naming another variable', 'DB_PASSWORD', '__POSTGRES_PASS__'],
    ['@NAME@ (autoconf, Maven resource filtering)', 'DB_PASSWORD', '@DB_PASSWORD@'],
    ['@dotted.name@ (Maven)', 'DB_PASSWORD', '@db.password@'],
    ['%NAME% (Windows, ConfigMap templating)', 'API_TOKEN', '%API_TOKEN%'],
    ['#{NAME} (Octopus Deploy)', 'API_TOKEN', '#{ApiToken}'],
    ['#{NAME}# (Azure DevOps Replace Tokens)', 'API_TOKEN', '#{API_TOKEN}#'],
    ['{{NAME}} (mustache, Go templates)', 'API_TOKEN', '{{API_TOKEN}}'],
    ['{{ .Values.x }} (Helm)', 'API_TOKEN', '{{ .Values.apiToken }}'],
    ['<NAME> (documentation)', 'API_TOKEN', '<API_TOKEN>'],
    ['${NAME} (envsubst)', 'API_TOKEN', '${API_TOKEN}'],
    ['Bearer __TOKEN__', 'AUTH_HEADER', 'Bearer __TOKEN__'],
  ];
  for (const [what, name, value] of placeholders) {
    it(`is not a credential: ${what}`, () => expect(credentials(env(name, value))).to.deep.equal([]));
  }

  it('is not a credential as a URL password or a flag value', () => {
    expect(credentials(env('DATABASE_URL', 'postgres://app:__DB_PASSWORD__@db.example.com/app'))).to.deep.equal([]);
    expect(credentials(textsOf({ args: ['--password=@db.password@'] }))).to.deep.equal([]);
  });

  // A placeholder does not vouch for the text around it.
  const literals: [string, string, string][] = [
    ['a literal glued to __NAME__', 'DB_PASSWORD', `${PW}__SUFFIX__`],
    ['a literal around a placeholder', 'DB_PASSWORD', `${PW}@X@${PW}`],
    ['a literal after #{NAME}', 'API_TOKEN', `#{Prefix}${PW}`],
    ['a literal that merely starts and ends with @', 'DB_PASSWORD', `@${PW}@`],
    ['a literal between double underscores, in lower case', 'DB_PASSWORD', '__' + PW.toLowerCase().replaceAll('-', '') + '__'],
    ['the name plus a real suffix', 'API_KEY', 'API_KEY_' + PW.replaceAll('-', '')],
  ];
  for (const [what, name, value] of literals) {
    it(`is still a credential: ${what}`, () => {
      const found = credentials(env(name, value));
      expect(found).to.have.length(1);
      expect(JSON.stringify(found)).not.to.contain(PW);
    });
  }
});

describe('shell comments (issue 13): ignored by the host rule, kept by the credential rule', () => {
  const table: { what: string; script: string; hosts: string[]; credential: boolean }[] = [
    { what: 'a URL in a comment at a line start', script: '# see https://github.com/org/repo/issues/9625\nexec app', hosts: [], credential: false },
    { what: 'a URL in a comment after a command', script: 'exec app  # https://docs.example.com/app', hosts: [], credential: false },
    { what: 'a comment after a quoted word', script: "echo 'x' # https://docs.example.com/app", hosts: [], credential: false },
    { what: '# inside double quotes is text', script: 'curl "https://api.example.com/#/items"', hosts: ['api.example.com'], credential: false },
    { what: '# inside single quotes is text', script: "echo '# not a comment' && curl https://api.example.com", hosts: ['api.example.com'], credential: false },
    { what: '# inside single quotes, a URL after it', script: "printf '%s # https://api.example.com'", hosts: ['api.example.com'], credential: false },
    { what: '# mid-word (a#b) does not start a comment', script: 'curl https://api.example.com/a#b https://b.example.org', hosts: ['api.example.com', 'b.example.org'], credential: false },
    { what: 'a word glued after # mid-word', script: 'echo a#https://api.example.com', hosts: ['api.example.com'], credential: false },
    { what: 'a line after a comment is read again', script: '# setup\ncurl https://api.example.com', hosts: ['api.example.com'], credential: false },
    { what: 'a credential in a comment (stored in the cluster all the same)', script: `exec app # mysql -uroot -p${PW}`, hosts: [], credential: true },
    { what: 'a credential assignment in a comment at a line start', script: `# API_TOKEN=${PW}\nexec app`, hosts: [], credential: true },
    { what: 'a URL with a password in a comment: a credential, not a host', script: `# postgres://app:${PW}@db.example.com/app\nexec app`, hosts: [], credential: true },
  ];
  for (const row of table) {
    it(row.what, () => {
      const texts = script(row.script);
      expect(hosts(texts), 'hosts').to.deep.equal(row.hosts);
      const found = credentials(texts);
      expect(found, 'credentials').to.have.length(row.credential ? 1 : 0);
      expect(JSON.stringify(found)).not.to.contain(PW);
    });
  }
});
