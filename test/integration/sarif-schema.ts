// The official SARIF 2.1.0 schema, from the Go module proxy (see test/fixtures/sarif-schema-pin.json
// for why that module), compiled with ajv. Without a Go toolchain the schema tests are skipped
// on a developer machine and fail in CI (CI=true), as the e2e suite does.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { downloadModule, findGo } from '../helpers/go.ts';
import { root } from '../helpers/process.ts';

interface Pin { module: string; version: string; sum: string; file: string; sha256: string }

/** The schema text, or why it cannot be had here. */
export function officialSarifSchema(): { text: string } | { missing: string } {
  const pin = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'sarif-schema-pin.json'), 'utf8')) as Pin;
  const go = findGo();
  if (!go) return { missing: 'no Go toolchain to download the SARIF schema module' };
  const got = downloadModule(go, pin);
  if ('error' in got) throw new Error(got.error);
  // A Go raw string literal: everything between the backquotes, which JSON never contains.
  const source = readFileSync(join(got.dir, pin.file), 'utf8');
  const start = source.indexOf('`') + 1;
  const text = source.slice(start, source.indexOf('`', start));
  const sha = createHash('sha256').update(text).digest('hex');
  if (sha !== pin.sha256) throw new Error(`${pin.file} in ${pin.module}@${pin.version}: sha256 ${sha}, the OASIS schema's is ${pin.sha256}`);
  return { text };
}

/**
 * The schema declares draft-04, which ajv 8 does not load. Its keywords ($ref, type, enum,
 * properties, items, required, oneOf/anyOf, minimum/maximum, minItems, uniqueItems, pattern,
 * format, default) mean the same in draft-07, and it uses no exclusiveMinimum/Maximum (the one
 * keyword whose form changed); only its `id` is spelled `$id` since draft-06. So it is compiled
 * as draft-07 with that one rename. ajv's strict mode is off because the schema puts
 * `description` next to `$ref`; the formats it names are checked here, not ignored.
 */
export function compileSarifSchema(text: string): ValidateFunction {
  const schema = JSON.parse(text) as Record<string, unknown>;
  if (JSON.stringify(schema).includes('"exclusiveM')) throw new Error('the schema uses exclusiveMinimum/Maximum: compile it as draft-04');
  const { $schema: _draft, id, ...rest } = schema;
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('uri-reference', (s: string) => URL.canParse(s, 'file:///base/') && !/[\s"<>\\^`{|}]/.test(s));
  ajv.addFormat('date-time', (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)));
  return ajv.compile({ $id: id as string, ...rest });
}
