// `extguard check --cluster`: the workloads already running, read once through the API, so a
// platform team sees what enforce would reject before turning it on. Objects owned by a
// controller (ReplicaSets of a Deployment, Pods of a ReplicaSet/Job...) are left out: their
// owner is judged, and listing both would report each problem twice.

import { AppsV1Api, BatchV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { ManifestDocument } from '../catalog/files.ts';

type Listed = { items: object[] };

function withKind(list: Listed, apiVersion: string, kind: string, source: string, skipOwned: boolean): ManifestDocument[] {
  return list.items.flatMap((item) => {
    const o = item as { metadata?: { ownerReferences?: { controller?: boolean }[]; namespace?: string; name?: string } };
    if (skipOwned && o.metadata?.ownerReferences?.some((r) => r.controller)) return [];
    // List items carry no apiVersion/kind; JSON round trip turns client Dates into strings.
    const object = { ...JSON.parse(JSON.stringify(item)), apiVersion, kind } as Record<string, unknown>;
    return [{ source: `${source}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`, object }];
  });
}

export async function readCluster(kc: KubeConfig): Promise<ManifestDocument[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const [namespaces, services, pods, deployments, replicaSets, statefulSets, daemonSets, jobs, cronJobs] = await Promise.all([
    core.listNamespace(), core.listServiceForAllNamespaces(), core.listPodForAllNamespaces(),
    apps.listDeploymentForAllNamespaces(), apps.listReplicaSetForAllNamespaces(), apps.listStatefulSetForAllNamespaces(), apps.listDaemonSetForAllNamespaces(),
    batch.listJobForAllNamespaces(), batch.listCronJobForAllNamespaces(),
  ]);
  return [
    ...withKind(namespaces, 'v1', 'Namespace', 'cluster', false),
    ...withKind(services, 'v1', 'Service', 'cluster', false),
    ...withKind(deployments, 'apps/v1', 'Deployment', 'cluster', true),
    ...withKind(statefulSets, 'apps/v1', 'StatefulSet', 'cluster', true),
    ...withKind(daemonSets, 'apps/v1', 'DaemonSet', 'cluster', true),
    ...withKind(replicaSets, 'apps/v1', 'ReplicaSet', 'cluster', true),
    ...withKind(cronJobs, 'batch/v1', 'CronJob', 'cluster', true),
    ...withKind(jobs, 'batch/v1', 'Job', 'cluster', true),
    ...withKind(pods, 'v1', 'Pod', 'cluster', true),
  ];
}
