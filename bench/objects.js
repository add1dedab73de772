// The objects `npm run bench` judges, and the catalog it judges them against, built here so
// their shape is reviewable and their size stated rather than hidden in a fixture file.
//
// - pod: one container, four env vars, one declared service injected (the common small case);
// - deployment: ~8 KB, 3 containers x 15 env vars mixing secretKeyRefs, in-cluster URLs, one
//   declared host and plain settings; two declared services injected;
// - statefulset: ~200 KB, a config-heavy object (many env vars and a long shell script), the
//   size where a linear judge's per-byte cost shows;
// - configmap-properties: a 20 KiB Spring application.properties (in-cluster URLs, declared
//   hosts, placeholders for the credentials), judged on /validate (configmaps.extguard.io);
// - configmap-json: a 200 KiB JSON document (a feature/endpoint table) in one key, the same.
// The catalog declares `services` ExternalName Services (200 by default) over 10 namespaces,
// with `shop` in enforce mode, so every review is judged in full.

const NAMESPACES = 10;

/** YAML of the Namespaces and ExternalName Services (JSON is YAML). */
export function catalogYaml(services = 200) {
  const docs = [];
  for (let n = 0; n < NAMESPACES; n++) {
    const name = n === 0 ? 'shop' : `team-${n}`;
    docs.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'extguard.io/mode': 'enforce' } } });
  }
  docs.push(service('shop', 'external-db', 'db.partner.example.com', 5432, { 'extguard.io/env-prefix': 'DB', 'extguard.io/secret': 'db-credentials', 'extguard.io/secret-keys': 'username=USER,password=PASSWORD' }));
  docs.push(service('shop', 'payments-api', 'api.payments.example.com', 443, { 'extguard.io/secret': 'payments-api-key', 'extguard.io/secret-keys': 'token=API_KEY' }));
  for (let i = 2; i < services; i++) {
    const ns = i % NAMESPACES === 0 ? 'shop' : `team-${i % NAMESPACES}`;
    docs.push(service(ns, `partner-${i}`, `partner-${i}.saas${i % 37}.example.net`, 443 + (i % 3)));
  }
  return docs.map((d) => JSON.stringify(d)).join('\n---\n') + '\n';
}

function service(namespace, name, externalName, port, annotations = {}) {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, annotations }, spec: { type: 'ExternalName', externalName, ports: [{ port }] } };
}

function env(i, c) {
  switch (i % 15) {
    case 0: return { name: 'LOG_LEVEL', value: 'info' };
    case 1: return { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } };
    case 2: return { name: 'ORDERS_URL', value: `http://orders.shop.svc.cluster.local:8080/api/v${c + 1}` };
    case 3: return { name: 'REDIS_ADDR', value: 'cache:6379' };
    case 4: return { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'payments-api-key', key: 'token' } } };
    case 5: return { name: 'PARTNER_HOST', value: 'partner-10.saas10.example.net' };
    case 6: return { name: 'JAVA_OPTS', value: '-Xmx512m -XX:+UseG1GC -Dfile.encoding=UTF-8 -Duser.timezone=UTC' };
    case 7: return { name: 'INVENTORY_ENDPOINT', value: 'https://inventory.shop.svc:8443/v2/stock' };
    case 8: return { name: 'SESSION_SECRET', valueFrom: { secretKeyRef: { name: 'sessions', key: 'secret' } } };
    case 9: return { name: 'FEATURE_FLAGS', value: 'checkout-v2=true,new-cart=false,fast-shipping=true' };
    case 10: return { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } };
    case 11: return { name: 'KAFKA_BROKERS', value: 'kafka-0.kafka.shop.svc:9092,kafka-1.kafka.shop.svc:9092' };
    case 12: return { name: 'SMTP_PASSWORD', valueFrom: { secretKeyRef: { name: 'smtp', key: 'password' } } };
    case 13: return { name: 'CALLBACK_URL', value: `http://$(POD_IP):8080/callback/${c}` };
    default: return { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', valueFrom: { secretKeyRef: { name: 'otel', key: 'endpoint' } } };
  }
}

function container(c, envCount, extra = {}) {
  return {
    name: `c${c}`,
    image: `registry.example.com/shop/service-${c}:1.${c}.0`,
    ports: [{ containerPort: 8080 + c, name: `http-${c}` }],
    env: Array.from({ length: envCount }, (_, i) => env(i, c)).map((e, i) => (i < 15 ? e : { ...e, name: `${e.name}_${i}` })),
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    readinessProbe: { httpGet: { path: '/healthz', port: 8080 + c }, periodSeconds: 5 },
    livenessProbe: { httpGet: { path: '/livez', port: 8080 + c }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 3 },
    args: ['--config=/etc/checkout/config.yaml', `--listen=:${8080 + c}`, '--metrics-addr=:9090'],
    securityContext: { runAsNonRoot: true, runAsUser: 10001, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    volumeMounts: [{ name: 'config', mountPath: '/etc/checkout', readOnly: true }, { name: 'tmp', mountPath: '/tmp' }],
    ...extra,
  };
}

const INJECT = { 'extguard.io/inject': 'external-db, payments-api' };

function podSpec(containers) {
  return {
    serviceAccountName: 'checkout',
    securityContext: { fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
    volumes: [{ name: 'config', configMap: { name: 'checkout-config' } }, { name: 'tmp', emptyDir: {} }],
    containers,
  };
}

function script(bytes) {
  const lines = ['set -eu', '# waits for its peers, then starts; see the runbook before changing the order'];
  for (let i = 0; lines.join('\n').length < bytes; i++) {
    lines.push(`until nc -z kafka-${i % 3}.kafka.shop.svc 9092; do echo "waiting for kafka-${i % 3}"; sleep 2; done`);
    lines.push(`curl -fsS http://config.shop.svc.cluster.local:8080/v1/shards/${i} -o /tmp/shard-${i}.json || exit 1`);
    lines.push(`export SHARD_${i}_URL="https://partner-${10 + (i % 19) * 10}.saas${(10 + (i % 19) * 10) % 37}.example.net/shards/${i}"`);
  }
  return lines.join('\n');
}

/** A Spring Boot application.properties of about `bytes`, with nothing a reviewer should deny. */
function applicationProperties(bytes) {
  const lines = [
    'spring.application.name=checkout',
    'spring.datasource.url=jdbc:postgresql://external-db:5432/shop',
    'spring.datasource.username=${DB_USER}',
    'spring.datasource.password=${DB_PASSWORD}',
    'spring.jpa.open-in-view=false',
    'management.endpoints.web.exposure.include=health,info,prometheus',
  ];
  for (let i = 0; lines.join('\n').length < bytes; i++) {
    const host = `partner-${10 + (i % 19) * 10}.saas${(10 + (i % 19) * 10) % 37}.example.net`;
    lines.push(`shop.partners[${i}].url=https://${host}/api/v2/orders`);
    lines.push(`shop.partners[${i}].timeout=${1000 + (i % 7) * 250}ms`);
    lines.push(`shop.partners[${i}].callback=http://orders.shop.svc.cluster.local:8080/callbacks/${i}`);
    lines.push(`shop.features.flag-${i}.enabled=${i % 3 === 0}`);
    lines.push(`# retries for partner ${i}: exponential backoff, capped`);
    lines.push(`shop.partners[${i}].retry.max-attempts=${3 + (i % 4)}`);
  }
  return lines.join('\n') + '\n';
}

/** A JSON endpoint table of about `bytes`, in the style of a service registry dump. */
function endpointTable(bytes) {
  const rows = [];
  // Pretty-printed with one space of indent, a row takes about 1.25x its compact size.
  let size = 0;
  for (let i = 0; size * 1.25 < bytes; i++) {
    const host = `partner-${10 + (i % 19) * 10}.saas${(10 + (i % 19) * 10) % 37}.example.net`;
    const row = {
      id: `endpoint-${i}`, enabled: i % 5 !== 0, weight: i % 100,
      url: i % 2 ? `https://${host}/v1/items/${i}` : `http://catalog.shop.svc.cluster.local:8080/items/${i}`,
      tags: ['shop', `zone-${i % 3}`, i % 2 ? 'external' : 'internal'],
      description: `Item feed ${i}: refreshed every ${5 + (i % 11)} minutes, paged by 500`,
    };
    const text = JSON.stringify(row);
    size += text.length + 1;
    rows.push(row);
  }
  return JSON.stringify({ version: 3, generated: '2026-12-01T00:00:00Z', endpoints: rows }, null, 1);
}

/** AdmissionReview requests by name; each ~ its stated size. */
export function reviews() {
  const objects = {
    pod: {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'checkout', namespace: 'shop', annotations: INJECT, labels: { app: 'checkout' } },
      spec: podSpec([{ name: 'app', image: 'registry.example.com/shop/checkout:3.1.0', env: [env(0, 0), env(1, 0), env(2, 0), env(5, 0)] }]),
    },
    deployment: {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: {
        name: 'checkout', namespace: 'shop',
        labels: { app: 'checkout', tier: 'backend', 'app.kubernetes.io/name': 'checkout', 'app.kubernetes.io/part-of': 'shop', 'app.kubernetes.io/version': '3.1.0', 'app.kubernetes.io/managed-by': 'argocd' },
        annotations: {
          'kubernetes.io/change-cause': 'rollout of checkout 3.1.0: new cart service, payment retries with backoff, tracing to the collector',
          'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:shop/checkout',
          'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090', 'prometheus.io/path': '/metrics',
          'shop.example.com/owner': 'team-checkout', 'shop.example.com/oncall': 'https://oncall.shop.svc.cluster.local/teams/checkout',
        },
      },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'checkout' } },
        template: {
          metadata: { labels: { app: 'checkout', tier: 'backend' }, annotations: INJECT },
          spec: podSpec([0, 1, 2].map((c) => container(c, 15))),
        },
      },
    },
    statefulset: {
      apiVersion: 'apps/v1', kind: 'StatefulSet',
      metadata: { name: 'ledger', namespace: 'shop', labels: { app: 'ledger' } },
      spec: {
        serviceName: 'ledger',
        replicas: 3,
        selector: { matchLabels: { app: 'ledger' } },
        template: {
          metadata: { labels: { app: 'ledger' }, annotations: INJECT },
          spec: podSpec([0, 1, 2, 3].map((c) => container(c, 280, { command: ['sh', '-c', script(30_000)] }))),
        },
      },
    },
    'configmap-properties': {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'checkout-config', namespace: 'shop', labels: { app: 'checkout' } },
      data: { 'application.properties': applicationProperties(20 * 1024) },
    },
    'configmap-json': {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'item-endpoints', namespace: 'shop', labels: { app: 'catalog' } },
      data: { 'endpoints.json': endpointTable(200 * 1024) },
    },
  };
  const out = {};
  for (const [name, object] of Object.entries(objects)) {
    const kind = object.kind;
    const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
    const version = object.apiVersion.split('/').pop();
    const resource = { group, version, resource: `${kind.toLowerCase()}s` };
    out[name] = Buffer.from(JSON.stringify({
      apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
      request: {
        uid: '705ab4f5-6393-11e8-b7cc-42010a800002', kind: { group, version, kind }, resource, requestKind: { group, version, kind }, requestResource: resource,
        name: object.metadata.name, namespace: 'shop', operation: 'CREATE',
        userInfo: { username: 'system:serviceaccount:ci:deployer', uid: '014fbff9a07c', groups: ['system:serviceaccounts', 'system:authenticated'] },
        object, oldObject: null, dryRun: false,
        options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'kubectl-client-side-apply' },
      },
    }));
  }
  return out;
}

/** The endpoints an object goes to: ConfigMaps reach only the validating webhook (configmaps.extguard.io). */
export function endpointsOf(name) {
  return name.startsWith('configmap') ? ['validate'] : ['validate', 'mutate'];
}
