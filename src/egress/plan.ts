// What each namespace may reach outside the cluster, as the judge sees it: the ExternalName
// Services of the namespace and of `sharedNamespace`, and `allowedHosts`. The renderers
// (cilium.ts, istio.ts, networkpolicy.ts) turn this plan into runtime egress policies, so the
// network enforces at run time exactly what admission enforces at apply time. Pure: catalog
// and policy in, plain data out.

import { isIP } from 'node:net';
import type { CatalogSnapshot, ServiceRecord } from '../catalog/snapshot.ts';
import type { Config } from '../config/config.ts';
import { invalidTarget } from '../policy/governance.ts';
import { normalizeHost, NUMERIC_LABEL, type HostContext } from '../policy/hosts.ts';
import { modeFor, type Policy } from '../policy/judge.ts';
import type { Mode } from '../policy/types.ts';

/** An exact DNS name, a `*.suffix` wildcard (any deeper name, not the apex), or an IP literal. */
export type HostKind = 'name' | 'wildcard' | 'ip';

/** The ports a host may be reached on; `any` when a declaration names none. */
export type Ports = readonly number[] | 'any';

export interface EgressHost {
  kind: HostKind;
  /** Normalised: lower case, no trailing dot; `*.suffix` for a wildcard; an IP without brackets. */
  host: string;
  ports: Ports;
  /**
   * In-cluster names that are CNAMEs of this host: `<service>.<namespace>.svc.<clusterDomain>`
   * of each ExternalName Service declaring it. A client that dials the Service resolves these,
   * and Cilium matches the name a client asked for, not the CNAME target.
   */
  aliases: readonly string[];
  /** What declares it: `Service ns/name` or `allowedHosts`. */
  sources: readonly string[];
}

export interface NamespaceEgress {
  namespace: string;
  mode: Mode;
  /** Sorted: names, wildcards, then IPs, each alphabetically. */
  hosts: readonly EgressHost[];
}

/** Something the plan left out, and why (for stderr). */
export interface EgressNote {
  namespace?: string;
  message: string;
}

export interface EgressPlan {
  namespaces: readonly NamespaceEgress[];
  notes: readonly EgressNote[];
}

export interface PlanOptions {
  /** Modes whose namespaces get a policy. Default: enforce only (see docs/egress.md). */
  modes?: readonly Mode[];
}

export const DEFAULT_EXPORT_MODES: readonly Mode[] = ['enforce'];

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** A DNS name a policy can name: labels of letters, digits, `-` (and `_`), not every label a number. */
function isDnsName(h: string): boolean {
  const labels = h.split('.');
  return h.length <= 253 && labels.length >= 2 && labels.every((l) => LABEL.test(l)) && !labels.every((l) => NUMERIC_LABEL.test(l));
}

/** How an allowedHosts entry is exported, or why it cannot be. */
function classifyAllowed(entry: string): { kind: HostKind; host: string } | { problem: string } {
  const h = normalizeHost(entry);
  if (isIP(h)) return { kind: 'ip', host: h };
  if (h.startsWith('*.')) {
    return isDnsName(h.slice(2)) ? { kind: 'wildcard', host: h } : { problem: 'is not *. followed by a DNS name' };
  }
  return isDnsName(h) ? { kind: 'name', host: h } : { problem: 'is neither a DNS name nor an IP literal' };
}

function mergePorts(a: Ports, b: Ports): Ports {
  if (a === 'any' || b === 'any') return 'any';
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

const KIND_ORDER: Record<HostKind, number> = { name: 0, wildcard: 1, ip: 2 };

function byHost(a: EgressHost, b: EgressHost): number {
  return KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0);
}

/** The same predicates the judge uses for `name.namespace` and namespaces that exist. */
function contextFor(catalog: CatalogSnapshot, namespace: string): HostContext {
  return {
    hasNamespace: (name) => name === namespace || catalog.namespaces().has(name),
    hasService: (ns, name) => catalog.service(ns, name) !== undefined,
  };
}

/** Declaring ExternalName Services by namespace, each list sorted by name (records() order is the catalog's). */
function declarationsByNamespace(all: readonly ServiceRecord[]): Map<string, ServiceRecord[]> {
  const out = new Map<string, ServiceRecord[]>();
  for (const s of all) {
    if (s.type !== 'ExternalName' || !s.externalName || s.declares === false) continue;
    const list = out.get(s.namespace) ?? [];
    out.set(s.namespace, list);
    list.push(s);
  }
  for (const list of out.values()) list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

/**
 * The plan for every namespace the catalog knows. A namespace gets a policy when its mode is
 * one of `modes`: exempt namespaces (never judged) and `off` ones (extguard's bypass) never
 * do, since a policy there would start denying egress extguard was told to leave alone.
 */
export function planEgress(catalog: CatalogSnapshot, policy: Policy, options: PlanOptions = {}): EgressPlan {
  const modes = options.modes ?? DEFAULT_EXPORT_MODES;
  const { config } = policy;
  const notes: EgressNote[] = [];
  const declarations = declarationsByNamespace(catalog.records().services);

  const allowed: EgressHost[] = [];
  for (const entry of config.allowedHosts) {
    const c = classifyAllowed(entry);
    if ('problem' in c) {
      notes.push({ message: `allowedHosts entry ${JSON.stringify(entry)} ${c.problem}: not exported` });
      continue;
    }
    allowed.push({ ...c, ports: 'any', aliases: [], sources: ['allowedHosts'] });
  }

  const out: NamespaceEgress[] = [];
  for (const namespace of [...catalog.namespaces()].sort()) {
    const { mode, exempt } = modeFor(namespace, catalog, config);
    if (exempt || mode === 'off' || !modes.includes(mode)) {
      const why = exempt ? 'exempt (exemptNamespaces)' : mode === 'off' ? 'mode off' : `mode ${mode}, not exported (--modes ${modes.join(',')})`;
      notes.push({ namespace, message: `namespace ${namespace}: ${why}: no egress policy` });
      continue;
    }
    out.push({ namespace, mode, hosts: hostsFor(namespace, catalog, declarations, policy, allowed, notes) });
  }
  return { namespaces: out, notes };
}

function hostsFor(namespace: string, catalog: CatalogSnapshot, declarations: ReadonlyMap<string, readonly ServiceRecord[]>, policy: Policy, allowed: readonly EgressHost[], notes: EgressNote[]): EgressHost[] {
  const { config } = policy;
  const byKey = new Map<string, EgressHost>();
  const add = (h: EgressHost): void => {
    const key = `${h.kind} ${h.host}`;
    const old = byKey.get(key);
    byKey.set(key, old
      ? { ...old, ports: mergePorts(old.ports, h.ports), aliases: [...new Set([...old.aliases, ...h.aliases])].sort(), sources: [...old.sources, ...h.sources] }
      : h);
  };
  const ctx = contextFor(catalog, namespace);
  const declaring = [namespace, ...(config.sharedNamespace !== undefined && config.sharedNamespace !== namespace ? [config.sharedNamespace] : [])];
  for (const ns of declaring) {
    for (const s of declarations.get(ns) ?? []) {
      const target = normalizeHost(s.externalName!);
      // The judge does not count such a target as declared (governance.ts), so neither does
      // the network: a Service holding one would open the node, the cluster or the cloud account.
      const invalid = invalidTarget(target, policy.hosts, ctx);
      if (invalid !== undefined) {
        notes.push({ namespace, message: `namespace ${namespace}: Service ${s.namespace}/${s.name}: externalName ${JSON.stringify(target)} is not exported: ${invalid}` });
        continue;
      }
      if (!isDnsName(target)) {
        notes.push({ namespace, message: `namespace ${namespace}: Service ${s.namespace}/${s.name}: externalName ${JSON.stringify(target)} is not a DNS name a policy can name: not exported` });
        continue;
      }
      add({
        kind: 'name',
        host: target,
        ports: s.ports.length ? [...new Set(s.ports)].sort((a, b) => a - b) : 'any',
        aliases: [serviceDnsName(s, config)],
        sources: [`Service ${s.namespace}/${s.name}`],
      });
    }
  }
  for (const h of allowed) add(h);
  return [...byKey.values()].sort(byHost);
}

/** The name a client in any namespace resolves for the Service (a CNAME of its externalName). */
export function serviceDnsName(s: Pick<ServiceRecord, 'name' | 'namespace'>, config: Pick<Config, 'clusterDomain'>): string {
  return `${s.name}.${s.namespace}.svc.${normalizeHost(config.clusterDomain)}`;
}
