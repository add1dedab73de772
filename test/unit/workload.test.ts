import { expect } from 'chai';
import { newBudget } from '../../src/objects/expand.ts';
import { containerTexts } from '../../src/objects/texts.ts';
import { ShapeError, viewWorkload } from '../../src/objects/workload.ts';
import { cronJob, deployment, pod } from '../helpers/objects.ts';

describe('workload view', () => {
  const kinds: { kind: string; apiVersion: string; specPath: string; pointer: string }[] = [
    { kind: 'Pod', apiVersion: 'v1', specPath: 'spec', pointer: '/spec' },
    { kind: 'Deployment', apiVersion: 'apps/v1', specPath: 'spec.template.spec', pointer: '/spec/template/spec' },
    { kind: 'ReplicaSet', apiVersion: 'apps/v1', specPath: 'spec.template.spec', pointer: '/spec/template/spec' },
    { kind: 'StatefulSet', apiVersion: 'apps/v1', specPath: 'spec.template.spec', pointer: '/spec/template/spec' },
    { kind: 'DaemonSet', apiVersion: 'apps/v1', specPath: 'spec.template.spec', pointer: '/spec/template/spec' },
    { kind: 'Job', apiVersion: 'batch/v1', specPath: 'spec.template.spec', pointer: '/spec/template/spec' },
    { kind: 'CronJob', apiVersion: 'batch/v1', specPath: 'spec.jobTemplate.spec.template.spec', pointer: '/spec/jobTemplate/spec/template/spec' },
    { kind: 'ReplicationController', apiVersion: 'v1', specPath: 'spec.template.spec', pointer: '/spec/template/spec' },
    { kind: 'PodTemplate', apiVersion: 'v1', specPath: 'template.spec', pointer: '/template/spec' },
  ];
  for (const k of kinds) {
    it(`finds containers and initContainers of a ${k.kind} at ${k.specPath}`, () => {
      const spec = { containers: [{ name: 'app', env: [{ name: 'A', value: 'x' }] }], initContainers: [{ name: 'init', args: ['--flag'] }] };
      let obj: Record<string, unknown>;
      if (k.kind === 'Pod') obj = { apiVersion: k.apiVersion, kind: k.kind, metadata: { name: 'o' }, spec };
      else if (k.kind === 'CronJob') obj = { apiVersion: k.apiVersion, kind: k.kind, metadata: { name: 'o' }, spec: { jobTemplate: { spec: { template: { spec } } } } };
      else if (k.kind === 'PodTemplate') obj = { apiVersion: k.apiVersion, kind: k.kind, metadata: { name: 'o' }, template: { spec } };
      else obj = { apiVersion: k.apiVersion, kind: k.kind, metadata: { name: 'o' }, spec: { template: { spec } } };
      const view = viewWorkload(obj, 'ns1')!;
      expect(view.containers.map((c) => [c.name, c.list, c.path, c.pointer])).to.deep.equal([
        ['app', 'containers', `${k.specPath}.containers[0]`, `${k.pointer}/containers/0`],
        ['init', 'initContainers', `${k.specPath}.initContainers[0]`, `${k.pointer}/initContainers/0`],
      ]);
      expect(view.namespace).to.equal('ns1');
    });
  }

  it('ignores kinds it does not cover, and the same kind name in another group', () => {
    expect(viewWorkload({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } })).to.equal(undefined);
    expect(viewWorkload({ apiVersion: 'example.com/v1', kind: 'Deployment', metadata: { name: 'c' } })).to.equal(undefined);
  });

  it('collects annotations from the object and from the pod template', () => {
    const view = viewWorkload(deployment({ annotations: { a: '1' }, templateAnnotations: { b: '2' }, containers: [{}] }))!;
    expect(view.annotationSources.map((s) => s.path)).to.deep.equal(['metadata.annotations', 'spec.template.metadata.annotations']);
  });

  it('reads CronJob containers through the job template', () => {
    const view = viewWorkload(cronJob({ containers: [{ args: ['x'] }] }))!;
    expect(view.containers[0]!.path).to.equal('spec.jobTemplate.spec.template.spec.containers[0]');
  });

  it('defaults the namespace to "default" and names generateName objects with a star', () => {
    const view = viewWorkload({ apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'web-' }, spec: { containers: [] } })!;
    expect([view.namespace, view.name]).to.deep.equal(['default', 'web-*']);
  });

  it('lists env values, command and args with their paths, but never valueFrom entries', () => {
    const view = viewWorkload(pod({
      containers: [{
        env: [{ name: 'A', value: 'x' }, { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }, { name: 'C', value: '' }],
        command: ['sh', '-c'],
        args: ['echo hi'],
      }],
    }))!;
    expect(containerTexts(view.containers[0]!, newBudget()).texts.map((t) => t.path)).to.deep.equal([
      'spec.containers[0].env[0].value',
      'spec.containers[0].command[0]',
      'spec.containers[0].command[1]',
      'spec.containers[0].args[0]',
    ]);
  });

  const badShapes: [string, unknown, RegExp][] = [
    ['a non-object', 'nope', /expected a Kubernetes object/],
    ['containers that are not a list', { apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { containers: {} } }, /spec\.containers: expected a list/],
    ['a container without a name', { apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { containers: [{}] } }, /spec\.containers\[0\]\.name/],
    ['args that are not strings', { apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { containers: [{ name: 'a', args: [1] }] } }, /args: expected a list of strings/],
    ['an env value that is a number', { apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { containers: [{ name: 'a', env: [{ name: 'X', value: 5 }] }] } }, /env\[0\]\.value: expected a string/],
    ['a template that is a string', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: {}, spec: { template: 'x' } }, /spec\.template: expected an object/],
    ['annotations that are not strings', { apiVersion: 'v1', kind: 'Pod', metadata: { annotations: { a: 1 } }, spec: {} }, /metadata\.annotations\["a"\]/],
  ];
  for (const [what, obj, message] of badShapes) {
    it(`rejects ${what} with a ShapeError naming the field`, () => {
      expect(() => viewWorkload(obj)).to.throw(ShapeError, message);
    });
  }
});
