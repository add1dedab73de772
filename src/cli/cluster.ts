// `extguard check --cluster`: the workloads already running, read once through the API, so a
// platform team sees what enforce would reject before turning it on. Objects owned by a
// controller (ReplicaSets of a Deployment, Pods of a ReplicaSet/Job...) are left out: their
// owner is judged, and listing both would report each problem twice. Only when that owner is
// among the listed objects, though: anyone may write an ownerReference, and one that names
// an unrelated or missing owner must not hide a Pod.

import { AppsV1Api, BatchV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { ManifestDocument } from '../catalog/files.ts';

type Listed = { items: object[] };
type Meta = { metadata?: { ownerReferences?: { controller?: boolean; uid?: string }[]; namespace?: string; name?: string; uid?: string } };

function withKind(list: Listed, apiVersion: string, kind: string, source: string, judgedOwners?: ReadonlySet<string>): ManifestDocument[] {
  return list.items.flatMap((item) => {
    const o = item as Meta;
    if (judgedOwners && o.metadata?.ownerReferences?.some((r) => r.controller && r.uid !== undefined && judgedOwners.has(r.uid))) return [];
    // List items carry no apiVersion/kind; JSON round trip turns client Dates into strings.
    const object = { ...JSON.parse(JSON.stringify(item)), apiVersion, kind } as Record<string, unknown>;
    return [{ source: `${source}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`, object }];
  });
}

export async function readCluster(kc: KubeConfig): Promise<ManifestDocument[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const [namespaces, services, pods, controllers, podTemplates, deployments, replicaSets, statefulSets, daemonSets, jobs, cronJobs] = await Promise.all([
    core.listNamespace(), core.listServiceForAllNamespaces(), core.listPodForAllNamespaces(),
    core.listReplicationControllerForAllNamespaces(), core.listPodTemplateForAllNamespaces(),
    apps.listDeploymentForAllNamespaces(), apps.listReplicaSetForAllNamespaces(), apps.listStatefulSetForAllNamespaces(), apps.listDaemonSetForAllNamespaces(),
    batch.listJobForAllNamespaces(), batch.listCronJobForAllNamespaces(),
  ]);
  // Every workload that could own another; an owner that is not one of them judges nothing.
  const owners = new Set<string>();
  for (const list of [deployments, replicaSets, statefulSets, daemonSets, jobs, cronJobs, controllers]) {
    for (const item of list.items as Meta[]) if (item.metadata?.uid) owners.add(item.metadata.uid);
  }
  return [
    ...withKind(namespaces, 'v1', 'Namespace', 'cluster'),
    ...withKind(services, 'v1', 'Service', 'cluster'),
    ...withKind(deployments, 'apps/v1', 'Deployment', 'cluster', owners),
    ...withKind(statefulSets, 'apps/v1', 'StatefulSet', 'cluster', owners),
    ...withKind(daemonSets, 'apps/v1', 'DaemonSet', 'cluster', owners),
    ...withKind(replicaSets, 'apps/v1', 'ReplicaSet', 'cluster', owners),
    ...withKind(cronJobs, 'batch/v1', 'CronJob', 'cluster', owners),
    ...withKind(jobs, 'batch/v1', 'Job', 'cluster', owners),
    ...withKind(controllers, 'v1', 'ReplicationController', 'cluster', owners),
    ...withKind(podTemplates, 'v1', 'PodTemplate', 'cluster', owners),
    ...withKind(pods, 'v1', 'Pod', 'cluster', owners),
  ];
}
