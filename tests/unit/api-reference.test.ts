// docs/api.md documents every public export and every config field: a new
// export or field without its line in the reference fails here.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { resolveConfig } from '../../src/model/config';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const reference = read('docs/api.md');

/** Names exported by src/index.ts (`export { a, type B } from …` and `export type { C } from …`). */
function publicExports(): string[] {
  const names: string[] = [];
  for (const m of read('src/index.ts').matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const part of m[1].split(',')) {
      const name = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop()!.trim();
      if (name) names.push(name);
    }
  }
  return names;
}

test('every export of src/index.ts is in docs/api.md', () => {
  const names = publicExports();
  expect(names.length).toBeGreaterThan(40);
  expect(names.filter((n) => !reference.includes(`\`${n}\``) && !reference.includes(`\`${n}(`))).toEqual([]);
});

test('every config field has a row, with its default, in the AutoencoderConfig table', () => {
  const table = reference.slice(reference.indexOf('#### `AutoencoderConfig`'), reference.indexOf('#### `InputNoise`'));
  const fields = Object.keys(resolveConfig({ inputSize: 1, hiddenSize: 1 }));
  expect(fields.length).toBeGreaterThanOrEqual(12);
  expect(fields.filter((f) => !new RegExp(`^\\| \`${f}\` \\| [^|]+ \\|`, 'm').test(table))).toEqual([]);
});
