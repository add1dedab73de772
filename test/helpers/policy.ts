import { catalogFromDocuments } from '../../src/catalog/files.ts';
import type { CatalogSnapshot } from '../../src/catalog/snapshot.ts';
import { parseConfig } from '../../src/config/config.ts';
import { compilePolicy, judge, type Judgement, type Policy } from '../../src/policy/judge.ts';

export function policyOf(yaml = ''): Policy {
  return compilePolicy(parseConfig(yaml, 'test'));
}

export function catalogOf(objects: Record<string, unknown>[]): CatalogSnapshot {
  return catalogFromDocuments(objects.map((object, i) => ({ source: `test#${i}`, object })));
}

export function judgeCreate(object: unknown, catalog: CatalogSnapshot, policy: Policy = policyOf(), namespace?: string): Judgement {
  return judge({ operation: 'CREATE', object, ...(namespace ? { namespace } : {}), dryRun: false }, catalog, policy);
}
