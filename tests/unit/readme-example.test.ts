// The README's "Use it in your app" code is the code the package test runs:
// its block must appear verbatim in examples/minimal/main.ts.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

test('the README shows examples/minimal/main.ts verbatim', () => {
  const readme = read('README.md');
  const marker = readme.indexOf('<!-- the same code as examples/minimal/main.ts');
  expect(marker, 'the README marks the example block').toBeGreaterThan(0);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(marker))?.[1] ?? '';
  expect(block).toContain("from 'webgpu-autoencoders'");
  expect(block).toContain('encodeToBuffer');
  expect(read('examples/minimal/main.ts')).toContain(block);
});
