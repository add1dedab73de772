// What extguard writes for kubectl (mutate, policies, egress) must read back the same in YAML
// 1.1, the YAML kubectl reads: a plain `off` or `yes` there is a boolean, and the API server
// refuses a boolean where a string belongs.
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { mutateManifests } from '../../src/cli/report.ts';
import { DEFAULT_CONFIG } from '../../src/config/config.ts';
import { compilePolicy } from '../../src/policy/judge.ts';
import { shippedFiles } from '../../tools/native/shipped.ts';

const asKubectl = (text: string): unknown[] => parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS());
const as12 = (text: string): unknown[] => parseAllDocuments(text).map((d) => d.toJS());

describe('YAML written for kubectl', () => {
  it('mutate keeps env values such as yes, off and on strings for a YAML 1.1 reader', () => {
    const object = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'app', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'app', image: 'app:1', env: ['yes', 'off', 'on', 'n', 'Y', 'NO'].map((value, i) => ({ name: `FLAG_${i}`, value })) }] } } },
    };
    const { yaml } = mutateManifests([{ object, source: 'deploy.yaml' } as never], [], compilePolicy(DEFAULT_CONFIG));
    expect(asKubectl(yaml)).to.deep.equal([object]);
  });

  it('every shipped native policy file reads the same in YAML 1.1 as in 1.2 (binding values hold "off")', () => {
    for (const [path, text] of shippedFiles()) {
      if (!path.endsWith('.yaml')) continue;
      expect(asKubectl(text), path).to.deep.equal(as12(text));
      expect(text, path).to.contain('"off"');
    }
  });
});
