import { expect } from 'chai';
import { viewWorkload } from '../../src/objects/workload.ts';
import { FLOOD, floodText, MAX_CONFIGMAP_DATA_BYTES, MAX_OBJECT_BYTES, ordinaryPod, shapes } from '../../bench/shapes.js';

// The worst-case bench only means something if the API server would have let each shape through.
describe('bench worst-case shapes', () => {
  const all = shapes();

  it('have distinct names', () => {
    expect(new Set(all.map((s) => s.name)).size).to.equal(all.length);
  });

  for (const s of all.filter((x) => x.kind === 'ConfigMap')) {
    it(`${s.name} is a ConfigMap in shop the API server would store (data and keys within 1 MiB)`, () => {
      const text = s.text();
      expect(Buffer.byteLength(text), 'bytes').to.be.below(MAX_OBJECT_BYTES);
      const object = JSON.parse(text) as { apiVersion: string; kind: string; metadata: { namespace: string }; data: Record<string, string> };
      expect([object.apiVersion, object.kind, object.metadata.namespace]).to.deep.equal(['v1', 'ConfigMap', 'shop']);
      const entries = Object.entries(object.data);
      const dataBytes = entries.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
      expect(dataBytes, 'data bytes').to.be.at.most(MAX_CONFIGMAP_DATA_BYTES);
      // Near the limit, or the shape measures less than the worst the API server lets through.
      expect(dataBytes, 'data bytes').to.be.above(MAX_CONFIGMAP_DATA_BYTES * 0.95);
      // Keys the API server accepts: [-._a-zA-Z0-9]+, at most 253 characters.
      for (const [k] of entries) expect(/^[-._a-zA-Z0-9]{1,253}$/.test(k), 'key').to.equal(true);
    });
  }

  for (const s of all.filter((x) => x.kind === undefined)) {
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
