import { expect } from 'chai';
import { viewWorkload } from '../../src/objects/workload.ts';
import { MAX_OBJECT_BYTES, shapes } from '../../bench/shapes.js';

// The worst-case bench only means something if the API server would have let each shape through.
describe('bench worst-case shapes', () => {
  const all = shapes();

  it('have distinct names', () => {
    expect(new Set(all.map((s) => s.name)).size).to.equal(all.length);
  });

  for (const s of all) {
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
});
