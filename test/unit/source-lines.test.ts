// Issue 12: a violation's field path (as kubectl prints it) back to its line in the source,
// so a SARIF alert lands on the offending line.
import { expect } from 'chai';
import { readManifestText } from '../../src/catalog/files.ts';
import { pathSegments, SourceLines } from '../../src/cli/source-lines.ts';

/** Line of `path` in the object read from `text` as document `source`. */
function lineOf(text: string, path: string, which = 0): number | undefined {
  const doc = readManifestText(text, 'f.yaml').documents[which]!;
  return new SourceLines(text).locate(doc.address!, path)?.line;
}

const deployment = `# leading comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {"extguard.io/mode": enforce, app: api}
spec:
  template:
    spec:
      containers:
        - name: api
          env:
            - name: HOST
              value: db
            - name: PASSWORD
              value: |
                literal
          args: ["--a", "--b"]
        - {name: side, command: [sh, -c, "curl x"]}
`;

describe('pathSegments', () => {
  it('splits dotted names, list indexes and quoted keys', () => {
    expect(pathSegments('spec.template.spec.containers[0].env[12].value')).to.deep.equal(['spec', 'template', 'spec', 'containers', 0, 'env', 12, 'value']);
    expect(pathSegments('metadata.labels["extguard.io/mode"]')).to.deep.equal(['metadata', 'labels', 'extguard.io/mode']);
    expect(pathSegments('metadata.annotations["a\\"b"].x')).to.deep.equal(['metadata', 'annotations', 'a"b', 'x']);
    expect(pathSegments('a[x].b'), 'not an index').to.deep.equal(['a']);
  });

  it('stops at a key the judge cut short for its message, keeping what came before', () => {
    expect(pathSegments('metadata.labels["' + 'k'.repeat(70) + '… (80 characters)].x')).to.deep.equal(['metadata', 'labels']);
  });
});

describe('the reader\'s document address', () => {
  it('numbers every document of the stream from 0, skipped ones included, and the items of a List', () => {
    const text = 'a: 1\n---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: x}}\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: y}}\n';
    expect(readManifestText(text, 'deploy/a#b.yaml').documents.map((d) => d.address)).to.deep.equal([{ document: 2 }, { document: 3, item: 0 }, { document: 3, item: 1 }]);
  });
});

describe('SourceLines.locate', () => {
  it('finds the line of the field in block and flow YAML', () => {
    expect(lineOf(deployment, 'spec.template.spec.containers[0].env[1].value')).to.equal(16);
    expect(lineOf(deployment, 'spec.template.spec.containers[0].env[0].value')).to.equal(14);
    expect(lineOf(deployment, 'spec.template.spec.containers[0].args[1]')).to.equal(18);
    expect(lineOf(deployment, 'spec.template.spec.containers[1].command[2]')).to.equal(19);
    expect(lineOf(deployment, 'metadata.labels["extguard.io/mode"]')).to.equal(6);
  });

  it('gives the column too, 1-based', () => {
    const doc = readManifestText(deployment, 'f.yaml').documents[0]!;
    expect(new SourceLines(deployment).locate(doc.address!, 'spec.template.spec.containers[0].args[1]')).to.deep.equal({ line: 18, column: 25 });
  });

  it('falls back to the deepest field the source has, and to the object\'s first line', () => {
    expect(lineOf(deployment, 'spec.template.spec.containers[0].env[7].value'), 'no env[7]: the env list').to.equal(12);
    expect(lineOf(deployment, 'spec.template.spec.initContainers[0].args[0]'), 'no initContainers: the pod spec').to.equal(9);
    expect(lineOf(deployment, 'nothing.here'), 'nothing of the path: the object').to.equal(2);
  });

  it('finds objects in later documents and inside kind: List items', () => {
    const text = `apiVersion: v1
kind: ConfigMap
metadata: {name: first}
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: a}
    spec: {containers: [{name: a, image: x}]}
  - apiVersion: v1
    kind: Pod
    metadata: {name: b}
    spec:
      containers:
        - name: b
          args: [x]
`;
    expect(lineOf(text, 'spec.containers[0].args[0]', 2)).to.equal(18);
    expect(lineOf(text, 'spec.containers[0].image', 1)).to.equal(11);
    expect(lineOf(text, 'nothing', 2), 'the item, not the List').to.equal(12);
  });

  it('reads JSON, takes the last of a repeated key as the reader does, and follows aliases to their anchor', () => {
    const json = '{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {"name": "p"},\n  "spec": {\n    "containers": [\n      {"name": "c",\n       "args": ["a", "b"]}\n    ]\n  }\n}\n';
    expect(lineOf(json, 'spec.containers[0].args[1]')).to.equal(8);
    const repeated = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: one\n      image: two\n';
    expect(lineOf(repeated, 'spec.containers[0].image')).to.equal(8);
    const aliased = 'x-env: &env\n  - name: TOKEN\n    value: abc\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      env: *env\n';
    expect(lineOf(aliased, 'spec.containers[0].env[0].value')).to.equal(3);
  });

  it('answers undefined for an address the text does not hold', () => {
    expect(new SourceLines('a: 1\n').locate({ document: 3 }, 'a')).to.equal(undefined);
    expect(new SourceLines('a: 1\n').locate({ document: 0, item: 0 }, 'a')).to.equal(undefined);
  });
});
