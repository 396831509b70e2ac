// src/reference/ holds the float64 test oracles; production code must not depend
// on them. Every .ts file under src/ outside src/reference/ is scanned, and any
// import of a module inside src/reference/ fails this test with its file and
// specifier. Specifiers are found by the TypeScript compiler's own scanner
// (ts.preProcessFile), so multi-line imports, `import type`, `export … from`,
// side-effect and dynamic imports are all seen, and comments and strings are not.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const REFERENCE = join(SRC, 'reference');

/** Every module specifier a TypeScript source imports or re-exports from. */
function importedSpecifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** Whether `path` is `dir` or lies inside it. */
function isInside(path: string, dir: string): boolean {
  const r = relative(dir, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/** The specifiers of `source` (the file at `file`) that resolve into src/reference/; none for a file inside it. */
function referenceImports(file: string, source: string): string[] {
  if (isInside(file, REFERENCE)) return [];
  return importedSpecifiers(source).filter((spec) => {
    if (!spec.startsWith('.')) return false; // packages; src/ has no path aliases
    const target = resolve(dirname(file), spec.replace(/\?.*$/, ''));
    return isInside(target, REFERENCE);
  });
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
});
