import { expect } from 'chai';
import fc from 'fast-check';
import * as A from '../../src/policy/annotations.ts';
import {
  applyCatalogUpdate,
  buildSnapshot,
  CatalogIndex,
  catalogUpdate,
  JUDGED_ANNOTATION_PREFIX,
  LiveCatalog,
  toServiceRecord,
  type CatalogChange,
  type CatalogSnapshot,
  type ServiceRecord,
} from '../../src/catalog/snapshot.ts';

const svc = (namespace: string, name: string, externalName?: string, annotations: Record<string, string> = {}): ServiceRecord => ({
  namespace, name, type: externalName ? 'ExternalName' : 'ClusterIP', ports: [443], annotations, ...(externalName ? { externalName } : {}),
});

/** What a judge worker ends up with: the pool's message, copied as postMessage copies it. */
function send(worker: CatalogIndex, sent: CatalogSnapshot | undefined, current: CatalogSnapshot): CatalogIndex {
  return applyCatalogUpdate(worker, structuredClone(catalogUpdate(sent, current)));
}

/** Everything the judge can read from a catalog, for the namespaces and names given. */
function view(c: CatalogSnapshot, namespaces: string[], names: string[]) {
  return {
    namespaces: [...c.namespaces()].sort(),
    perNamespace: namespaces.map((ns) => ({
      ns,
      labels: c.namespaceLabels(ns),
      externalNames: [...c.externalNames(ns)].sort(),
      services: names.map((n) => c.service(ns, n) ?? null),
    })),
  };
}

describe('catalog index', () => {
  it('keeps a host declared while any Service in the namespace still declares it', () => {
    const index = new CatalogIndex();
    index.putService(svc('shop', 'a', 'DB.example.com.'));
    index.putService(svc('shop', 'b', 'db.example.com'));
    index.removeService('shop', 'a');
    expect([...index.externalNames('shop')]).to.deep.equal(['db.example.com']);
    index.putService(svc('shop', 'b', 'other.example.com'));
    expect([...index.externalNames('shop')]).to.deep.equal(['other.example.com']);
    index.removeService('shop', 'b');
    expect(index.externalNames('shop').size).to.equal(0);
    expect(index.namespaces().has('shop')).to.equal(false);
  });

  it('knows a namespace from its Namespace object or from any of its Services', () => {
    const index = new CatalogIndex();
    index.putNamespace({ name: 'shop', labels: { [A.MODE_LABEL]: 'enforce' } });
    index.putService(svc('shop', 'a', 'db.example.com'));
    index.removeNamespace('shop');
    expect(index.namespaces().has('shop')).to.equal(true);
    expect(index.namespaceLabels('shop')).to.equal(undefined);
    index.removeService('shop', 'a');
    expect(index.namespaces().has('shop')).to.equal(false);
  });

  it('keeps only the extguard.io/ annotations of a Service, and every Service annotation the judge reads is under that prefix', () => {
    const applied = JSON.stringify({ kind: 'Service', metadata: { annotations: { 'extguard.io/secret': 'db' } } });
    const record = toServiceRecord({
      metadata: { name: 'db', namespace: 'shop', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': applied, 'extguard.io/secret': 'db', 'team.example.com/owner': 'x' } },
      spec: { type: 'ExternalName', externalName: 'db.example.com' },
    });
    expect(record?.annotations).to.deep.equal({ 'extguard.io/secret': 'db' });
    for (const name of [A.INJECT, A.INJECT_CONTAINERS, A.ENV_PREFIX, A.SECRET, A.SECRET_KEYS, A.HOST]) expect(name.startsWith(JUDGED_ANNOTATION_PREFIX), name).to.equal(true);
  });
});

describe('live catalog and judge workers', () => {
  it('gives a new snapshot only for a change the judge can see, and sends a worker that change alone', () => {
    const live = new LiveCatalog();
    live.apply({ kind: 'service', namespace: 'shop', name: 'a', record: svc('shop', 'a', 'a.example.com', { [A.SECRET]: 's' }) });
    live.apply({ kind: 'service', namespace: 'shop', name: 'b', record: svc('shop', 'b', 'b.example.com') });
    const first = live.current();
    let worker = send(new CatalogIndex(), undefined, first);
    // The same record again (a watch event for a label or status change): nothing new.
    expect(live.apply({ kind: 'service', namespace: 'shop', name: 'a', record: svc('shop', 'a', 'a.example.com', { [A.SECRET]: 's' }) })).to.equal(false);
    expect(live.current()).to.equal(first);
    live.apply({ kind: 'service', namespace: 'shop', name: 'a', record: svc('shop', 'a', 'a.example.com', { [A.SECRET]: 't' }) });
    const second = live.current();
    expect(second).to.not.equal(first);
    const update = catalogUpdate(first, second);
    expect(update).to.deep.equal({ changes: [{ kind: 'service', namespace: 'shop', name: 'a', record: svc('shop', 'a', 'a.example.com', { [A.SECRET]: 't' }) }] });
    worker = send(worker, first, second);
    expect(worker.service('shop', 'a')?.annotations[A.SECRET]).to.equal('t');
    expect(worker.service('shop', 'b')?.externalName).to.equal('b.example.com');
  });

  it('sends a full copy to a worker further behind than the log remembers', () => {
    const live = new LiveCatalog();
    const first = live.current();
    for (let i = 0; i < 5000; i++) live.apply({ kind: 'service', namespace: `ns-${i % 7}`, name: `s-${i}`, record: svc(`ns-${i % 7}`, `s-${i}`, `h${i}.example.com`) });
    const update = catalogUpdate(first, live.current());
    expect(update).to.have.property('records');
    const worker = send(new CatalogIndex(), first, live.current());
    expect(worker.service('ns-3', 's-4999')).to.equal(undefined); // 4999 % 7 = 1
    expect(worker.service('ns-1', 's-4999')?.externalName).to.equal('h4999.example.com');
  });

  it('a worker kept up to date by changes answers every lookup like a catalog built from scratch (any order of events)', () => {
    const namespaces = ['shop', 'team-1', 'team-2'];
    const names = ['a', 'b', 'c', 'd'];
    const hosts = ['x.example.com', 'X.example.com.', 'y.example.com', undefined];
    const change = fc.oneof(
      fc.record({ kind: fc.constant('service' as const), namespace: fc.constantFrom(...namespaces), name: fc.constantFrom(...names), host: fc.constantFrom(...hosts), secret: fc.constantFrom('s1', 's2', undefined), remove: fc.boolean() })
        .map(({ namespace, name, host, secret, remove }): CatalogChange => remove
          ? { kind: 'service', namespace, name }
          : { kind: 'service', namespace, name, record: svc(namespace, name, host, secret ? { [A.SECRET]: secret } : {}) }),
      fc.record({ name: fc.constantFrom(...namespaces), mode: fc.constantFrom('enforce', 'warn', undefined), remove: fc.boolean() })
        .map(({ name, mode, remove }): CatalogChange => remove
          ? { kind: 'namespace', name }
          : { kind: 'namespace', name, record: { name, labels: mode ? { [A.MODE_LABEL]: mode } : {} } }),
    );
    // Each step: some events, then (maybe) a review dispatched to the worker.
    fc.assert(fc.property(fc.array(fc.tuple(fc.array(change, { maxLength: 6 }), fc.boolean()), { maxLength: 25 }), (steps) => {
      const live = new LiveCatalog();
      let worker = new CatalogIndex();
      let sent: CatalogSnapshot | undefined;
      // The model: the last record of each Service and Namespace.
      const services = new Map<string, ServiceRecord>();
      const nsRecords = new Map<string, { name: string; labels: Record<string, string> }>();
      for (const [changes, dispatch] of steps) {
        for (const c of changes) {
          live.apply(c);
          if (c.kind === 'service') {
            if (c.record) services.set(`${c.namespace}/${c.name}`, c.record);
            else services.delete(`${c.namespace}/${c.name}`);
          } else if (c.record) nsRecords.set(c.name, c.record);
          else nsRecords.delete(c.name);
        }
        if (dispatch || steps.at(-1)?.[0] === changes) {
          const current = live.current();
          if (current !== sent) worker = send(worker, sent, current);
          sent = current;
        }
      }
      const current = live.current();
      if (current !== sent) worker = send(worker, sent, current);
      const rebuilt = buildSnapshot(services.values(), nsRecords.values());
      expect(view(worker, namespaces, names)).to.deep.equal(view(rebuilt, namespaces, names));
      expect(view(current, namespaces, names)).to.deep.equal(view(rebuilt, namespaces, names));
    }), { numRuns: 300 });
  });
});
