// Copies src/config/config.schema.json into charts/extguard/values.schema.json (as
// properties.config, its definitions at the root so its "#/definitions/..." refs resolve),
// so that `helm install` refuses a config extguard would refuse. One source of truth: the
// e2e suite (test/e2e/helm.test.ts) fails when the chart's copy differs.
//
//   npx node test/e2e/helm/sync-values-schema.ts          # rewrite the chart's schema
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
export const configSchemaFile = `${root}src/config/config.schema.json`;
export const valuesSchemaFile = `${root}charts/extguard/values.schema.json`;

/** The chart's values schema with the config part replaced by extguard's own schema. */
export function withConfigSchema(values: Record<string, any>, config: Record<string, any>): Record<string, any> {
  const { $schema: _s, $id: _i, title: _t, definitions, ...configBody } = config;
  return {
    ...values,
    properties: {
      ...values['properties'],
      config: { $comment: values['properties']?.config?.$comment, ...configBody },
    },
    definitions,
  };
}

export function syncedValuesSchema(): string {
  const values = JSON.parse(readFileSync(valuesSchemaFile, 'utf8'));
  const config = JSON.parse(readFileSync(configSchemaFile, 'utf8'));
  return `${JSON.stringify(withConfigSchema(values, config), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(valuesSchemaFile, syncedValuesSchema());
  console.log(`wrote ${valuesSchemaFile}`);
}
