// Builds corpus/sources/manifests-configmaps.yaml from the checkouts of corpus/real-repos/repos.yaml
// (extracted under /tmp/repos by `real-repos.ts extract`):
//   npx node corpus/tools/configmaps-source.mjs corpus/sources/manifests-configmaps.yaml
import { readFileSync, writeFileSync } from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';
const R = '/tmp/repos/';
const pick = (dir, file, name) => {
  for (const d of parseAllDocuments(readFileSync(R + dir + '/' + file, 'utf8'))) {
    const o = d.toJS();
    if (o?.kind === 'ConfigMap' && (!name || o.metadata?.name === name)) return o;
  }
  throw new Error(`${dir}/${file}: no ConfigMap ${name}`);
};
// Synthetic stand-ins for the demo credentials of the real files: same class (a weak demo
// password, a URL with userinfo), not the real value, assembled so the source holds no literal.
const fake = (i) => ['demo', 'Pw', String(4000 + i)].join('-');
const cases = [];
const neg = (repo, dir, file, name, why) => {
  const o = pick(dir, file, name);
  cases.push({ id: `${repo}/${file}#${o.metadata.name}`, from: `${repo}@${file}`, object: o, expect: [], why });
};
const pos = (repo, dir, file, name, keys, why) => {
  const o = pick(dir, file, name);
  keys.forEach((k, i) => {
    const v = o.data[k];
    o.data[k] = /:\/\/[^/@\s]+:[^/@\s]+@/.test(v) ? v.replace(/(:\/\/[^/@\s:]+:)[^/@\s]+@/, `$1${fake(i)}@`) : fake(i);
  });
  cases.push({ id: `${repo}/${file}#${o.metadata.name}`, from: `${repo}@${file}`, object: o, expect: keys.map((k) => `plaintext-credential data.${k}`), why });
};
const BOA = ['GoogleCloudPlatform/bank-of-anthos', 'GoogleCloudPlatform+bank-of-anthos'];
pos(...BOA, 'kubernetes-manifests/accounts-db.yaml', 'accounts-db-config', ['POSTGRES_PASSWORD', 'ACCOUNTS_DB_URI'], 'the accounts database password (read by the postgres image and, through envFrom, by userservice and contacts) and the same login in a postgresql:// URL; POSTGRES_DB/POSTGRES_USER are not credentials');
pos(...BOA, 'kubernetes-manifests/ledger-db.yaml', 'ledger-db-config', ['POSTGRES_PASSWORD', 'SPRING_DATASOURCE_PASSWORD'], 'the ledger database password, twice (the postgres image; Spring datasource through envFrom); SPRING_DATASOURCE_URL has no userinfo, SPRING_DATASOURCE_USERNAME is a name');
pos(...BOA, 'kubernetes-manifests/config.yaml', 'demo-data-config', ['DEMO_LOGIN_PASSWORD'], 'the demo users login password, read by the frontend as DEFAULT_PASSWORD; USE_DEMO_DATA and DEMO_LOGIN_USERNAME are not credentials');
neg('GoogleCloudPlatform/bank-of-anthos', BOA[1], 'kubernetes-manifests/config.yaml', 'environment-config', 'a routing number and the path of a public key file: PUB_KEY_PATH names a file, not a key');
neg('spring-petclinic/spring-petclinic-cloud', 'spring-petclinic+spring-petclinic-cloud', 'k8s/init-services/02-config-map.yaml', 'petclinic-config', 'Spring application.yaml: server, management, datasource schema/platform settings, service URLs; no credential');
for (const f of ['deployment', 'network', 'observability', 'features', 'autoscaler', 'certmanager', 'domain']) {
  neg('knative/serving', 'knative+serving', `config/core/configmaps/${f}.yaml`, undefined, `stock Knative config-${f}: settings and a commented _example block (registry names, TLS and certificate settings, domain templates); must stay allowed`);
}
for (const f of ['argocd-cm', 'argocd-rbac-cm', 'argocd-cmd-params-cm', 'argocd-ssh-known-hosts-cm', 'argocd-tls-certs-cm', 'argocd-gpg-keys-cm']) {
  neg('argoproj/argo-cd', 'argoproj+argo-cd', `manifests/base/config/${f}.yaml`, undefined, `stock Argo CD ${f}: settings, RBAC policy, SSH host keys and public certificates or keys (public material, not credentials)`);
}
neg('zalando/postgres-operator', 'zalando+postgres-operator', 'manifests/configmap.yaml', 'postgres-operator', 'operator settings whose names hold password/secret/token/key words: booleans, intervals, Secret names, a name template, empty S3 keys; no credential');
neg('microservices-demo/microservices-demo', 'microservices-demo+microservices-demo', 'deploy/kubernetes/manifests-monitoring/04-prometheus-configmap.yaml', undefined, 'Prometheus scrape config: bearer_token_file and ca_file are paths to the service account token, not tokens');
neg('open-telemetry/opentelemetry-collector', 'open-telemetry+opentelemetry-collector', 'examples/k8s/otel-config.yaml', undefined, 'OpenTelemetry collector config: receivers, processors, exporters with ${env:...} references');
for (const f of ['kafka-metrics.yaml', 'kafka-connect-metrics.yaml', 'oauth-metrics.yaml']) {
  neg('strimzi/strimzi-kafka-operator', 'strimzi+strimzi-kafka-operator', `packaging/examples/metrics/${f}`, undefined, 'Strimzi JMX Prometheus exporter rules for Kafka (patterns over MBean names, incl. oauth and authentication metric names); no credential');
}
neg('aws-samples/eks-workshop-v2', 'aws-samples+eks-workshop-v2', 'manifests/base-application/carts/configMap.yaml', 'carts', 'dummy one-word AWS keys for DynamoDB Local, which accepts any key (carts-dynamodb beside it): a placeholder, not a login; a warning at most');
neg('percona/percona-server-mysql-operator', 'percona+percona-server-mysql-operator', 'e2e-tests/tests/config/05-config-through-configmap-and-secret.yaml', 'config-mysql', 'a my.cnf of one setting (max_connections)');
const head = `# Real ConfigMaps from public repositories (issue 21: ConfigMaps judged as objects). Object
# cases: expect lists every finding we want, by path data.<key> (a key with a dot stays as it
# is: data.application.yaml). The ConfigMaps holding credentials are bank-of-anthos demo
# databases; their credential values are replaced by synthetic ones of the same class (a weak
# demo password, a password in the URL userinfo) so no real value is copied; the rest
# of each object is as published. Every other ConfigMap is stock configuration that must stay
# allowed: Knative config-*, Argo CD, the Zalando Postgres operator, Prometheus, OpenTelemetry
# collector, Strimzi metrics, Spring application.yaml. Commits are the ones of
# corpus/real-repos/repos.yaml.
# pending: ConfigMaps are not judged on main (0bcdebe): the runner skips this file unless asked
# (npm run corpus -- --source manifests-configmaps) until the ConfigMap judge merges; then drop
# the flag and record.
`;
const doc = { source: 'manifests-configmaps', title: 'ConfigMaps from public repositories: demo databases configured by ConfigMap, and stock settings that must stay allowed', repo: 'https://github.com/GoogleCloudPlatform/bank-of-anthos', commit: 'd0af04743a6d951665169ca6370d15725ec51252', licence: 'Apache-2.0 (each repository: see from)', pending: true, rules: ['plaintext-credential'], cases };
writeFileSync(process.argv[2], head + stringify(doc, { lineWidth: 0 }));
console.log(cases.length, 'cases', cases.filter((c) => c.expect.length).length, 'positive objects');
