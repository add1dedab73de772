// The cluster configuration: one YAML document validated against config.schema.json.
// Parsing is pure (text in, Config or ConfigError out) so the CLI, the server's hot reload
// and the tests share it; reading and watching the file lives in watch.ts.

import { Ajv } from 'ajv';
import { parse as parseDomain } from 'tldts';
import { parse as parseYaml } from 'yaml';
import schema from './config.schema.json' with { type: 'json' };

export { EXCEPTABLE_RULES, type Config, type ExceptableRule, type ExceptionEntry, type MaxVerdict, type Subjects } from './types.ts';
import type { Config } from './types.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

// verbose: an unknown field's error then carries its schema, so the message can list the known ones.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, verbose: true });
const validate = ajv.compile<Config>(schema);

export { schema as configSchema };

/** Parses and validates a config document; an empty document yields every default. */
export function parseConfig(text: string, source = 'config'): Config {
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(`${source}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ConfigError(`${source}: expected a YAML mapping at the top level`);
  }
  // Validate a copy: ajv fills defaults in place.
  const config = structuredClone(doc) as Record<string, unknown>;
  if (!validate(config)) {
    const problems = (validate.errors ?? []).map((e) => {
      const where = e.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : '(top level)';
      return `${where}: ${describeError(e)}`;
    });
    throw new ConfigError(`${source}: invalid configuration: ${[...new Set(problems)].join('; ')}`);
  }
  const problems = semanticProblems(config);
  if (problems.length) throw new ConfigError(`${source}: invalid configuration: ${problems.join('; ')}`);
  return config;
}

type AjvError = NonNullable<typeof validate.errors>[number];

/** ajv's words, plus what the user needs to fix it: the allowed values of an enum, the name of an unknown or missing field. */
function describeError(e: AjvError): string {
  switch (e.keyword) {
    case 'enum': return `must be one of ${(e.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'additionalProperties': {
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return `unknown field "${String(e.params['additionalProperty'])}"${known.length ? `; known fields: ${known.join(', ')}` : ''}`;
    }
    case 'required': return `missing required field "${String(e.params['missingProperty'])}"`;
    default: return e.message ?? 'invalid';
  }
}

/** What the schema cannot say: real calendar dates, and wildcards that would cover a whole public suffix. */
function semanticProblems(config: Config): string[] {
  const problems: string[] = [];
  config.exceptions.forEach((x, i) => {
    if (!isCalendarDate(x.expires)) problems.push(`exceptions.${i}.expires: "${x.expires}" is not a calendar date (YYYY-MM-DD)`);
  });
  const wildcards: Array<[string, string[]]> = [['allowedHosts', config.allowedHosts], ['governance.declarations.allowedTargets', config.governance.declarations.allowedTargets]];
  for (const [field, patterns] of wildcards) {
    patterns.forEach((p, i) => {
      const why = tooBroadWildcard(p);
      if (why) problems.push(`${field}.${i}: "${p}" ${why}; name a registrable domain, e.g. "*.example.com"`);
    });
  }
  return problems;
}

function isCalendarDate(text: string): boolean {
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/**
 * `*.com` or `*.co.uk` would allow every host under a public suffix (tldts, the Public Suffix
 * List the host rule already judges with), and `*.internal` a single label: never what a
 * platform team means.
 */
function tooBroadWildcard(pattern: string): string | undefined {
  if (!pattern.startsWith('*.')) return undefined;
  const suffix = pattern.slice(2).replace(/\.$/, '').toLowerCase();
  const parsed = parseDomain(suffix, { allowPrivateDomains: false });
  if (parsed.isIp) return undefined;
  if (parsed.isIcann && parsed.publicSuffix === suffix) return 'covers a whole public suffix';
  if (!suffix.includes('.')) return 'covers every name under a single label';
  return undefined;
}

export const DEFAULT_CONFIG: Config = parseConfig('', 'built-in defaults');
