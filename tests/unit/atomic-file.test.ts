// The CLI's atomic file writer (cli/node/atomic-file.mjs): a write interrupted
// between the flushed temporary file and the rename — by an error, or by the
// process being killed — leaves the previous file exactly as it was.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
// @ts-expect-error plain ESM module of the command line
import { writeFileAtomic } from '../../cli/node/atomic-file.mjs';

const DIR = mkdtempSync(join(tmpdir(), 'wgae-atomic-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
const MODULE = new URL('../../cli/node/atomic-file.mjs', import.meta.url).href;

test('writes the bytes and leaves no temporary file', async () => {
  const path = join(DIR, 'a.bin');
  await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
  await writeFileAtomic(path, new Uint8Array([4, 5]));
  expect([...readFileSync(path)]).toEqual([4, 5]);
  expect(readdirSync(DIR).filter((n) => n.startsWith('.a.bin'))).toEqual([]);
});

test('a failure before the rename keeps the previous file and removes the temporary one', async () => {
  const path = join(DIR, 'b.bin');
  writeFileSync(path, 'previous checkpoint');
  await expect(writeFileAtomic(path, 'new checkpoint', { beforeRename: () => Promise.reject(new Error('disk full')) })).rejects.toThrow('disk full');
  expect(readFileSync(path, 'utf8')).toBe('previous checkpoint');
  expect(readdirSync(DIR).filter((n) => n.startsWith('.b.bin'))).toEqual([]);
});

test('a process killed between the temporary write and the rename leaves the previous file intact', () => {
  const path = join(DIR, 'c.bin');
  writeFileSync(path, 'previous checkpoint');
  // The child writes the new bytes, then SIGKILLs itself where the rename would come.
  const script = `import(${JSON.stringify(MODULE)}).then(({ writeFileAtomic }) => writeFileAtomic(${JSON.stringify(path)}, 'new checkpoint', { beforeRename: () => process.kill(process.pid, 'SIGKILL') }))`;
  let killed = '';
  try {
    execFileSync(process.execPath, ['-e', script], { stdio: 'pipe' });
  } catch (e) {
    killed = (e as { signal?: string }).signal ?? '';
  }
  expect(killed).toBe('SIGKILL');
  expect(readFileSync(path, 'utf8')).toBe('previous checkpoint');
  const stray = readdirSync(DIR).filter((n) => n.startsWith('.c.bin.') && n.endsWith('.tmp'));
  expect(stray).toHaveLength(1); // the new bytes were complete in the temporary file, never in place of the old ones
  expect(readFileSync(join(DIR, stray[0]), 'utf8')).toBe('new checkpoint');
});
