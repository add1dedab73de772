// The configuration's shape and the rule names it may except, apart from the parser
// (config.ts): the judge workers need these, and importing config.ts would load ajv and the
// YAML parser into every worker (about 20 MiB of RSS each, measured) for a parse they never run.

import type { Mode, RuleName } from '../policy/types.ts';

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
  exceptions: ExceptionEntry[];
  rules: Partial<Record<ExceptableRule, { maxVerdict: MaxVerdict }>>;
}

/** The rules an exception or a per-rule setting may name: governance rules are platform rules, never excepted. */
export const EXCEPTABLE_RULES = ['plaintext-credential', 'undeclared-external-host', 'unknown-external-service'] as const satisfies readonly RuleName[];
export type ExceptableRule = (typeof EXCEPTABLE_RULES)[number];
export type MaxVerdict = 'deny' | 'warn' | 'off';

export interface ExceptionEntry {
  namespace: string;
  kind?: string;
  /** Exact name or a glob (* and ?); absent: every name. */
  name?: string;
  rules: ExceptableRule[];
  reason: string;
  /** YYYY-MM-DD: the last day (UTC) it applies. */
  expires: string;
}

/** Requesters named by user name or group (as the API server sends them in request.userInfo). */
export interface Subjects {
  groups: string[];
  users: string[];
}
