import { expect } from 'chai';
import { viewWorkload } from '../../src/objects/workload.ts';
import { viewConfigMap } from '../../src/objects/subjects.ts';
import { FLOOD, floodText, MAX_CONFIGMAP_DATA_BYTES, MAX_OBJECT_BYTES, ordinaryPod, shapes } from '../../bench/shapes.js';

// The worst-case bench only means something if the API server would have let each shape through.
describe('bench worst-case shapes', () => {
  const all = shapes();

  it('have distinct names', () => {
    expect(new Set(all.map((s) => s.name)).size).to.equal(all.length);
  });

  for (const s of all.filter((x) => x.name.startsWith('configmap-'))) {
    it(`${s.name} is a ConfigMap in shop under the API server's 1 MiB data limit`, () => {
      const object = JSON.parse(s.text()) as { apiVersion: string; kind: string; metadata: { namespace: string }; data: Record<string, string> };
      expect([object.apiVersion, object.kind, object.metadata.namespace]).to.deep.equal(['v1', 'ConfigMap', 'shop']);
      const bytes = Object.entries(object.data).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
      expect(bytes, 'data bytes').to.be.at.most(MAX_CONFIGMAP_DATA_BYTES);
      expect(viewConfigMap(object, 'shop')?.kind).to.equal('ConfigMap');
    });
  }

  for (const s of all.filter((x) => !x.name.startsWith('configmap-'))) {
    it(`${s.name} is a Deployment in shop under the API server's 3 MiB limit`, () => {
      const text = s.text();
      expect(Buffer.byteLength(text), 'bytes').to.be.below(MAX_OBJECT_BYTES);
      const object = JSON.parse(text) as { apiVersion: string; kind: string; metadata: { namespace: string }; spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } } };
      expect([object.apiVersion, object.kind, object.metadata.namespace]).to.deep.equal(['apps/v1', 'Deployment', 'shop']);
      expect(object.spec.template.metadata.labels).to.include(object.spec.selector.matchLabels);
      const view = viewWorkload(object, 'shop');
      expect(view?.kind).to.equal('Deployment');
      expect(view?.containers.length).to.be.greaterThan(0);
    });
  }

  it('the flood sends one of the shapes, from its own tenant, and the ordinary review is a plain Pod of another', () => {
    const shape = all.find((s) => s.name === FLOOD.shape);
    expect(shape, FLOOD.shape).to.not.equal(undefined);
    const text = floodText();
    expect(Buffer.byteLength(text), 'bytes').to.be.below(MAX_OBJECT_BYTES);
    const object = JSON.parse(text) as { metadata: { namespace: string } };
    expect(object.metadata.namespace).to.equal(FLOOD.tenant.namespace);
    // The same object as the shape, moved to the tenant's namespace.
    expect(text.replace(`"namespace":"${FLOOD.tenant.namespace}"`, '"namespace":"shop"')).to.equal(shape!.text());
    expect(FLOOD.tenant.namespace).to.not.equal(FLOOD.ordinary.namespace);
    expect(FLOOD.tenant.username).to.not.equal(FLOOD.ordinary.username);
    const view = viewWorkload(ordinaryPod(), FLOOD.ordinary.namespace);
    expect(view?.kind).to.equal('Pod');
    expect(view?.containers.length).to.equal(1);
  });
});
