// The plan as Istio objects: one ServiceEntry (networking.istio.io/v1) per declared host and
// namespace, visible only there (exportTo "."), and by default one Sidecar per namespace with
// outboundTrafficPolicy REGISTRY_ONLY. ServiceEntries only add hosts to the mesh's registry;
// they restrict nothing while the mesh lets unknown destinations through (ALLOW_ANY, Istio's
// default), hence the Sidecar.
//
// Ports and protocols: the declared ports, 443 when a host declares none (ServiceEntries
// cannot say "any port"). 443 is TLS (the sidecar matches the client's SNI against the host,
// so the app must send the external name, see extguard.io/host: external-name), 80 is HTTP
// (matched on the Host header), every other port TCP (matched by address).
// Wildcards (`*.suffix`) use resolution NONE: Istio cannot resolve a wildcard. IP literals get
// a placeholder host under `.invalid` (never resolvable) and the address, resolution NONE.

import type { EgressHost, EgressPlan, NamespaceEgress } from './plan.ts';
import { EGRESS_NAME, managedLabels, subdomainName, type KubeObject } from './objects.ts';

export interface IstioOptions {
  /** Emit a Sidecar with outboundTrafficPolicy REGISTRY_ONLY per namespace (default true). */
  sidecar?: boolean;
}

/** Used when a host declares no port. */
export const DEFAULT_ISTIO_PORT = 443;

export function istioProtocol(port: number, kind: EgressHost['kind']): 'TLS' | 'HTTP' | 'TCP' {
  if (kind === 'ip') return 'TCP'; // no name for SNI or Host to match
  if (port === 443) return 'TLS';
  if (port === 80) return 'HTTP';
  return 'TCP';
}

/** `ip-203-0-113-5.extguard.invalid`: a host name for an address, which Istio's hosts need. */
export function ipPlaceholderHost(ip: string): string {
  return `ip-${ip.replaceAll(/[.:]/g, '-')}.extguard.invalid`;
}

/**
 * `extguard-egress.<host>`; `extguard-egress-wildcard.<suffix>` and `extguard-egress-ip.<address>`
 * differ in the first label, so no declared host (`wildcard.example.com`) can take their name.
 */
function entryName(h: EgressHost): string {
  if (h.kind === 'wildcard') return subdomainName(`${EGRESS_NAME}-wildcard.`, h.host.slice(2));
  if (h.kind === 'ip') return subdomainName(`${EGRESS_NAME}-ip.`, h.host.replaceAll(/[.:]/g, '-'));
  return subdomainName(`${EGRESS_NAME}.`, h.host);
}

export function serviceEntry(namespace: string, h: EgressHost): KubeObject {
  const ports = h.ports === 'any' ? [DEFAULT_ISTIO_PORT] : h.ports;
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: entryName(h), namespace, labels: managedLabels() },
    spec: {
      hosts: [h.kind === 'ip' ? ipPlaceholderHost(h.host) : h.host],
      ...(h.kind === 'ip' ? { addresses: [h.host] } : {}),
      exportTo: ['.'],
      location: 'MESH_EXTERNAL',
      resolution: h.kind === 'name' ? 'DNS' : 'NONE',
      ports: ports.map((number) => {
        const protocol = istioProtocol(number, h.kind);
        return { number, name: `${protocol.toLowerCase()}-${number}`, protocol };
      }),
    },
  };
}

export function registryOnlySidecar(namespace: string): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Sidecar',
    metadata: { name: EGRESS_NAME, namespace, labels: managedLabels() },
    spec: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } },
  };
}

export function istioNamespaceObjects(ns: NamespaceEgress, options: IstioOptions = {}): KubeObject[] {
  const entries = ns.hosts.map((h) => serviceEntry(ns.namespace, h));
  return options.sidecar === false ? entries : [registryOnlySidecar(ns.namespace), ...entries];
}

export function istioObjects(plan: EgressPlan, options: IstioOptions = {}): KubeObject[] {
  return plan.namespaces.flatMap((ns) => istioNamespaceObjects(ns, options));
}
