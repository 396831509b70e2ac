// The code blocks of README.md and docs/*.md, sorted by what the tests do with them.
// The rule (tests/unit/doc-blocks.test.ts checks the sorting, tests/e2e/docs.e2e.ts runs):
//
// - A ```ts / ```js block is a program: the e2e test writes it as main.ts of a
//   temporary app that installs the packed tarball, compiles it strictly, builds
//   it with Vite and runs it in Chromium; it passes when the module finishes
//   without an exception or a console error. Its page URL carries DOC_BLOCK_QUERY
//   (the documented size knobs, e.g. ?trainLimit=&epochs=).
// - ```ts vite.config.ts: the vite.config.ts of those apps (every such block the same).
// - ```ts signature: a list of calls and their types, not a program: not run.
// - A block right after `<!-- the same code as examples/<file> … -->` must appear
//   verbatim in that file, which an e2e test runs.
// - Blocks in other languages (sh, json, python, none) are not TypeScript programs: not run.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The size knobs every runnable block gets in its page URL. */
export const DOC_BLOCK_QUERY = '?trainLimit=500&epochs=2';

export type BlockKind = 'program' | 'vite-config' | 'signature' | 'copy-of-example' | 'other-language';

export interface DocBlock {
  /** e.g. README.md:156 (the line of the opening fence). */
  where: string;
  file: string;
  line: number;
  info: string;
  code: string;
  kind: BlockKind;
  /** For 'copy-of-example': the examples/ file it is copied from. */
  example?: string;
}

const SCRIPT = /^(ts|js|typescript|javascript)$/;

export function docFiles(): string[] {
  return ['README.md', ...readdirSync(`${REPO_ROOT}docs`).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
}

export function docBlocks(file: string, text = readFileSync(`${REPO_ROOT}${file}`, 'utf8')): DocBlock[] {
  const lines = text.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i]);
    if (!open) continue;
    const info = open[1].trim();
    const end = lines.findIndex((l, j) => j > i && l === '```');
    if (end < 0) throw new Error(`${file}:${i + 1}: the code block never closes`);
    const code = lines.slice(i + 1, end).join('\n') + '\n';
    const [lang = '', ...tags] = info.split(/\s+/);
    const copied = /^<!-- the same code as (examples\/\S+)/.exec(lines[i - 1] ?? '')?.[1];
    let kind: BlockKind;
    if (!SCRIPT.test(lang)) kind = 'other-language';
    else if (copied) kind = 'copy-of-example';
    else if (tags.length === 0) kind = 'program';
    else if (tags.join(' ') === 'vite.config.ts') kind = 'vite-config';
    else if (tags.join(' ') === 'signature') kind = 'signature';
    else throw new Error(`${file}:${i + 1}: unknown code block tag "${tags.join(' ')}" (known: vite.config.ts, signature)`);
    blocks.push({ where: `${file}:${i + 1}`, file, line: i + 1, info, code, kind, example: copied });
    i = end;
  }
  return blocks;
}

export function allDocBlocks(): DocBlock[] {
  return docFiles().flatMap((f) => docBlocks(f));
}
