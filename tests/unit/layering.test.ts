// The direction of dependencies, checked on the sources:
// - src/reference/ holds the float64 test oracles; production code must not
//   depend on them: any import of src/reference/ by a file of src/ outside it,
//   or by the demo, fails.
// - src/train/ builds on src/model/, never the other way: a file of src/model/
//   importing src/train/ (type-only included) fails, so there is no cycle.
// - The command line (cli/) uses the library only through its public API: an
//   import of anything in src/ but src/index.ts fails.
// Each failure names the file and the specifier. Specifiers are found by the TypeScript compiler's own scanner
// (ts.preProcessFile), so multi-line imports, `import type`, `export … from`,
// side-effect and dynamic imports are all seen, and comments and strings are not.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const REFERENCE = join(SRC, 'reference');
const CLI = fileURLToPath(new URL('../../cli', import.meta.url));

/** Every module specifier a TypeScript source imports or re-exports from. */
function importedSpecifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** Whether `path` is `dir` or lies inside it. */
function isInside(path: string, dir: string): boolean {
  const r = relative(dir, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/** The specifiers of `source` (the file at `file`) whose targets satisfy `where`. */
function importsWhere(file: string, source: string, where: (target: string) => boolean): string[] {
  return importedSpecifiers(source).filter((spec) => {
    if (!spec.startsWith('.')) return false; // packages; the repo has no path aliases
    return where(resolve(dirname(file), spec.replace(/\?.*$/, '')));
  });
}

/** The specifiers of `source` (the file at `file`) that resolve into src/reference/; none for a file inside it. */
function referenceImports(file: string, source: string): string[] {
  if (isInside(file, REFERENCE)) return [];
  return importsWhere(file, source, (target) => isInside(target, REFERENCE));
}

/** Every violation of `check` in the .ts files under `dir`, as 'file imports spec'. */
function importViolations(dir: string, check: (file: string, source: string) => string[]): string[] {
  const files = tsFilesUnder(dir);
  expect(files.length).toBeGreaterThan(3); // a guard against scanning the wrong folder
  return files.flatMap((file) => check(file, readFileSync(file, 'utf8')).map((spec) => `${relative(dirname(SRC), file)} imports '${spec}'`));
}

function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFilesUnder(path);
    return e.isFile() && e.name.endsWith('.ts') ? [path] : [];
  });
}

describe('the matcher (so the scan below can fail)', () => {
  const sample = [
    "import {",
    "  a, // a comment inside the braces",
    "  type B,",
    "} from '../reference/multi-line';",
    'import type { T } from "../reference/type-only";',
    "export * from '../reference/star';",
    "export { q as r } from '../reference/named';",
    "import '../reference/side-effect';",
    "const lazy = () => import('../reference/dynamic');",
    "import { fine } from '../random/rng';",
    "import { alsoFine } from '../reference-notes/x';",
    "import shader from '../../shaders/vae.wgsl?raw';",
    "import { describe } from 'vitest';",
    "// import { commented } from '../reference/comment';",
    "const text = \"import { inString } from '../reference/string'\";",
  ].join('\n');

  test('finds every kind of import and nothing in comments or strings', () => {
    expect(importedSpecifiers(sample)).toEqual([
      '../reference/multi-line',
      '../reference/type-only',
      '../reference/star',
      '../reference/named',
      '../reference/side-effect',
      '../reference/dynamic',
      '../random/rng',
      '../reference-notes/x',
      '../../shaders/vae.wgsl?raw',
      'vitest',
    ]);
  });

  test('flags exactly the imports that resolve into src/reference/', () => {
    expect(referenceImports(join(SRC, 'model', 'sample.ts'), sample)).toEqual([
      '../reference/multi-line',
      '../reference/type-only',
      '../reference/star',
      '../reference/named',
      '../reference/side-effect',
      '../reference/dynamic',
    ]);
    expect(referenceImports(join(SRC, 'index.ts'), "export { pca } from './reference/pca';")).toEqual(['./reference/pca']);
    expect(referenceImports(join(SRC, 'model', 'sample.ts'), "import { x } from '../model/../reference/rng';")).toEqual(['../model/../reference/rng']);
  });

  test('files inside src/reference/ may import each other', () => {
    expect(referenceImports(join(REFERENCE, 'autoencoder.ts'), "import { lossRef } from './loss';")).toEqual([]);
  });
});

test('no file outside src/reference/ imports from src/reference/', () => {
  const files = tsFilesUnder(SRC);
  // A guard against scanning the wrong folder: src/ has dozens of modules.
  expect(files.length).toBeGreaterThan(30);
  const violations = files.flatMap((file) =>
    referenceImports(file, readFileSync(file, 'utf8')).map((spec) => `${relative(dirname(SRC), file)} imports '${spec}'`),
  );
  expect(violations).toEqual([]);
  expect(importViolations(fileURLToPath(new URL('../../demo', import.meta.url)), referenceImports)).toEqual([]);
});

test('src/model never imports src/train (type-only imports included): training builds on the model, one way', () => {
  const train = join(SRC, 'train');
  expect(importsWhere(join(SRC, 'model', 'x.ts'), "import type { Trainer } from '../train/trainer';", (t) => isInside(t, train))).toEqual(['../train/trainer']);
  expect(importViolations(join(SRC, 'model'), (file, source) => importsWhere(file, source, (t) => isInside(t, train)))).toEqual([]);
});

test('the command line imports the library only through src/index.ts', () => {
  const index = join(SRC, 'index');
  const notPublic = (t: string) => isInside(t, SRC) && t !== index && t !== `${index}.ts`;
  expect(importsWhere(join(CLI, 'page', 'x.ts'), "import { a } from '../../src/index';\nimport { b } from '../../src/gpu/arena';", notPublic)).toEqual(['../../src/gpu/arena']);
  expect(importViolations(CLI, (file, source) => importsWhere(file, source, notPublic))).toEqual([]);
});
