// Every code block of README.md and docs/*.md is sorted by the rule of
// tests/doc-blocks.ts: programs (run by tests/e2e/docs.e2e.ts), the apps' Vite
// config, signatures, copies of examples/ files, other languages.
import { existsSync, readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { allDocBlocks, docBlocks, REPO_ROOT } from '../doc-blocks';

const blocks = allDocBlocks();

test('the README and docs have runnable programs, and one Vite config for their apps', () => {
  const programs = blocks.filter((b) => b.kind === 'program');
  expect(programs.map((b) => b.where)).toContainEqual(expect.stringMatching(/^README\.md:/));
  expect(programs.find((b) => b.file === 'README.md')?.code).toContain('loadMnist(');
  const configs = blocks.filter((b) => b.kind === 'vite-config');
  expect(configs.length).toBeGreaterThan(0);
  expect(new Set(configs.map((b) => b.code)).size, 'every vite.config.ts block is the same').toBe(1);
  expect(configs[0].code).toContain("from 'webgpu-autoencoders/vite'");
});

test('a block copied from examples/ appears verbatim in its file', () => {
  const copies = blocks.filter((b) => b.kind === 'copy-of-example');
  expect(copies.length).toBeGreaterThan(0);
  for (const b of copies) {
    expect(existsSync(`${REPO_ROOT}${b.example}`), `${b.where}: ${b.example} exists`).toBe(true);
    expect(readFileSync(`${REPO_ROOT}${b.example}`, 'utf8'), `${b.where} is in ${b.example}`).toContain(b.code);
  }
});

test('ts/js blocks import the package by its name, never the sources', () => {
  for (const b of blocks.filter((x) => x.kind !== 'other-language')) {
    expect(b.code, b.where).not.toMatch(/from '\.{1,2}\/(src|\.\.)/);
  }
});

test('the sorting rule itself', () => {
  const md = [
    '```ts', 'run();', '```',
    '```ts signature', 'f(x) → y', '```',
    '```ts vite.config.ts', 'export default {};', '```',
    '<!-- the same code as examples/minimal/main.ts -->', '```ts', 'copied();', '```',
    '```sh', 'npm test', '```',
  ].join('\n');
  expect(docBlocks('x.md', md).map((b) => [b.kind, b.code])).toEqual([
    ['program', 'run();\n'],
    ['signature', 'f(x) → y\n'],
    ['vite-config', 'export default {};\n'],
    ['copy-of-example', 'copied();\n'],
    ['other-language', 'npm test\n'],
  ]);
  expect(() => docBlocks('x.md', '```ts runnable\nx\n```')).toThrow(/x\.md:1: unknown code block tag "runnable"/);
  expect(() => docBlocks('x.md', '```ts\nx\n')).toThrow(/never closes/);
});
