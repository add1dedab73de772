// Native undeclared-external-host policy (ValidatingAdmissionPolicy with Declarations as params). See common.ts.
//
// The subset the API server can judge exactly, without the webhook's context:
// - an env variable's `value` (no valueFrom, no `$`: nothing is expanded) that is one whole
//   `http(s)://host[:port][/path]` URL; every such URL is a host position for the judge unless the
//   variable's name makes it `listed` (NO_PROXY, ALLOWED_HOSTS, PUBLIC_URL...). Only names of
//   upper-case words joined by `_` are read (their words are exactly what the judge's nameWords
//   gives), and only when none of their words can make a name `listed` (LISTED_SIGNALS);
// - a path of unreserved characters only: no `@`, `:`, `=`, quote or space, so nothing after the
//   authority can be read as userinfo, a config pair or a second URL;
// - a host of three or more DNS labels under a top-level domain whose public-suffix rules stop at
//   the TLD (EXACT_TLDS, checked against tldts, the judge's list): such a name is always
//   external to the judge, never a `service.namespace` or `pod.service` name, whatever Services
//   exist (those have two labels), and never an IP literal;
//   or a cloud metadata service's name or IPv4 address (METADATA_HOSTS: the judge holds them
//   external whatever the name's shape), or, from Kubernetes 1.31 (CEL's IP library), an IPv4
//   address in dotted decimal that is outside internalCIDRs and the ranges the judge always
//   holds internal (ALWAYS_INTERNAL_CIDRS);
// - not the cluster domain, not declared: `params.spec.hosts` holds what serve computed for the
//   namespace (allowedHosts patterns, the namespace's and the shared namespace's ExternalNames).
// Everything else (IPv6, other IPv4 forms, two-label names, other TLDs, hosts in commands, config
// files, other fields) is left to the webhook.

import { parse as parseDomain } from 'tldts';
import type { Config } from '../config/config.ts';
import { ALWAYS_INTERNAL_CIDRS, METADATA_HOSTS, normalizeHost } from '../policy/hosts.ts';
import { LISTED_SIGNALS } from '../recognize/host-names.ts';
import { celList, celString, DEFAULT_TARGET, modeBindings, nativeHead, POD_SPEC_VARIABLES, SEE_CHECK, vapVersion, WORKLOAD_MATCH, type KubeObject, type Target } from './common.ts';
import { DECLARATIONS_API_VERSION, DECLARATIONS_KIND, DECLARATIONS_NAME } from './declarations.ts';

export const HOST_POLICY = 'extguard-native-undeclared-host';

/**
 * Generic TLDs the policy judges: the judge's public-suffix list has no ICANN rule below them,
 * so any name of two or more labels under them has a registrable domain (tldts decides; the
 * list keeps only those for which it says so, and a unit test probes them).
 */
const CANDIDATE_TLDS = ['com', 'net', 'org'];
export const EXACT_TLDS: readonly string[] = CANDIDATE_TLDS.filter((t) => {
  const deep = parseDomain(`a.probe-label.${t}`, { allowPrivateDomains: false });
  return deep.isIcann === true && deep.publicSuffix === t && deep.domain === `probe-label.${t}`;
});

/** Env names read: upper-case words joined by `_` (nameWords splits them exactly there). */
export const ENV_NAME_PATTERN = '^[A-Z]+(_[A-Z]+)*$';
const LABEL = '[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?';

/** An IPv4 address in dotted decimal without leading zeros: the only form the policy reads. */
export const IPV4 = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}';

/** CEL's IP and CIDR library (isIP, ip, cidr) may be used in stored policies from Kubernetes 1.31. */
export const hasIpLibrary = (t: Target): boolean => t.minor >= 31;

/** Metadata services named by a DNS name or an IPv4 address (the IPv6 ones are left to the webhook). */
export const METADATA_NAMES: readonly string[] = [...METADATA_HOSTS].filter((h) => !h.includes(':')).sort();

/** IPv4 ranges never external: the judge's fixed ones and the config's internalCIDRs. */
export const internalIPv4Ranges = (config: Config): string[] => [...new Set([...ALWAYS_INTERNAL_CIDRS, ...config.internalCIDRs].filter((c) => !c.includes(':')))].sort();

/**
 * A whole URL with a decimal port and an unreserved path, whose host is a name of three or more
 * labels under an exact TLD, a metadata service, or (`ip`) any dotted-decimal IPv4 address.
 */
export function urlPattern(opts: { tlds?: readonly string[]; ip?: boolean } = {}): string {
  const tlds = opts.tlds ?? EXACT_TLDS;
  const hosts = [`(${LABEL}\\.){2,}(${tlds.join('|')})`, ...METADATA_NAMES.map((h) => h.replaceAll('.', '\\.')), ...(opts.ip ? [IPV4] : [])];
  return `^https?://(${hosts.join('|')})(:[0-9]{1,5})?(/[A-Za-z0-9._~/%+-]*)?$`;
}


/**
 * The CEL that maps one container `c` to its env variables holding a URL whose host is
 * certainly external and undeclared, as `container "<name>": env <NAME>` (never the value).
 * First the variables whose name and value have the judged shape, then their hosts (between
 * `//` and the port or path: the pattern guarantees both shapes) against the declared ones.
 */
export function undeclaredEnvExpression(config: Config, target: Target = DEFAULT_TARGET): string {
  const cluster = normalizeHost(config.clusterDomain);
  const name = 'e.name.lowerAscii()';
  const shape = [
    'has(e.value)',
    `e.value.matches(${celString(urlPattern({ ip: hasIpLibrary(target) }))})`,
    `e.name.matches(${celString(ENV_NAME_PATTERN)})`,
    `!(${name} in ${celList(LISTED_SIGNALS.names)})`,
    `!${celList(LISTED_SIGNALS.nameEnds)}.exists(x, ${name}.endsWith(x))`,
    `!${name}.split('_').exists(w, w in ${celList(LISTED_SIGNALS.words)})`,
  ].join(' && ');
  const undeclared = [
    'size(x[1]) <= 253',
    `x[1] != ${celString(cluster)}`,
    `!x[1].endsWith(${celString(`.${cluster}`)})`,
    '!(x[1] in variables.declared)',
    '!variables.declaredSuffixes.exists(s, x[1].endsWith(s))',
    // An address inside the cluster's ranges is internal, unless a metadata service's.
    ...(hasIpLibrary(target) ? [`(x[1] in variables.metadata || !isIP(x[1]) || !variables.internal.exists(r, r.containsIP(ip(x[1]))))`] : []),
  ].join(' && ');
  return `has(c.env) ? c.env.filter(e, ${shape}).map(e, [string(e.name), string(e.value).split('/')[2].split(':')[0]]).filter(x, ${undeclared}).map(x, 'container "' + c.name + '": env ' + x[0]) : []`;
}

/**
 * Cost: per env variable two anchored regexes (linear in the name and the value), one split
 * of the value, a membership test in ~40 words per name word, a membership test in the declared
 * hosts and one suffix comparison per `*.` entry. An ordinary pod (a few dozen variables, tens of declared hosts) costs a few thousand
 * units; the e2e measures where it reaches the per-expression limit (1,000,000).
 */
export function hostPolicies(config: Config, target: Target): KubeObject[] {
  const policy: KubeObject = {
    ...nativeHead(vapVersion(target), 'ValidatingAdmissionPolicy', HOST_POLICY),
    spec: {
      // A runtime error (the cost limit on a crafted object) must not deny what the webhook
      // might admit; with Ignore a missing Declarations (a namespace serve has not reached yet)
      // is skipped too, even with parameterNotFoundAction Deny.
      failurePolicy: 'Ignore',
      paramKind: { apiVersion: DECLARATIONS_API_VERSION, kind: DECLARATIONS_KIND },
      matchConstraints: WORKLOAD_MATCH,
      matchConditions: [
        // The judge leaves alone an object being deleted (finalizers) and a Pod update that
        // cannot change its containers; the native layer skips every such update.
        { name: 'judged-by-the-webhook', expression: "request.operation == 'CREATE' || (object.kind != 'Pod' && !has(object.metadata.deletionTimestamp))" },
      ],
      variables: [
        ...POD_SPEC_VARIABLES,
        { name: 'declared', expression: 'has(params.spec) && has(params.spec.hosts) ? params.spec.hosts : []' },
        // `*.suffix` entries as `.suffix`, computed once per request rather than once per variable.
        { name: 'declaredSuffixes', expression: "variables.declared.filter(p, p.startsWith('*.')).map(p, p.substring(1))" },
        ...(hasIpLibrary(target)
          ? [
              { name: 'metadata', expression: celList(METADATA_NAMES) },
              { name: 'internal', expression: `${celList(internalIPv4Ranges(config))}.map(r, cidr(r))` },
            ]
          : []),
        { name: 'undeclared', expression: `variables.containers.map(c, ${undeclaredEnvExpression(config, target)})` },
      ],
      validations: [
        {
          expression: '!variables.undeclared.exists(l, size(l) > 0)',
          messageExpression: `'undeclared-external-host: ' + variables.undeclared.filter(l, size(l) > 0)[0][0] + ' is a URL whose host is not declared in this namespace (an ExternalName Service, here or in the shared namespace, or allowedHosts); ${SEE_CHECK.replace(/'/g, "\\'")}'`,
          reason: 'Forbidden',
        },
      ],
    },
  };
  return [policy, ...modeBindings(HOST_POLICY, config, target, { paramRef: { name: DECLARATIONS_NAME, parameterNotFoundAction: 'Deny' } })];
}
