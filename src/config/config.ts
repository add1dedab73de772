// The cluster configuration: one YAML document validated against config.schema.json.
// Parsing is pure (text in, Config or ConfigError out) so the CLI, the server's hot reload
// and the tests share it; reading and watching the file lives in watch.ts.

import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import schema from './config.schema.json' with { type: 'json' };
import type { Mode } from '../policy/types.ts';

export interface Config {
  defaultMode: Mode;
  exemptNamespaces: string[];
  clusterDomain: string;
  sharedNamespace?: string;
  allowedHosts: string[];
  internalCIDRs: string[];
  credentials: {
    sensitiveNames: string[];
    extraPatterns: { name: string; pattern: string }[];
  };
  governance: {
    modeAdmins: Subjects;
    declarations: { allowedTargets: string[]; admins: Subjects };
  };
}

/** Requesters named by user name or group (as the API server sends them in request.userInfo). */
export interface Subjects {
  groups: string[];
  users: string[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true });
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
      const extra = e.keyword === 'additionalProperties' ? ` "${String(e.params['additionalProperty'])}"` : '';
      return `${where}: ${e.message ?? 'invalid'}${extra}`;
    });
    throw new ConfigError(`${source}: invalid configuration: ${problems.join('; ')}`);
  }
  return config;
}

export const DEFAULT_CONFIG: Config = parseConfig('', 'built-in defaults');
