// Write a file so that a reader only ever sees the old content or the whole new
// one: the bytes go to a temporary file in the same folder, are flushed to disk
// (fsync), and the temporary file is renamed over the target (atomic on POSIX
// file systems); the folder is then flushed so the rename survives a power cut.
// A crash before the rename leaves the previous file intact (and a stray
// `.<name>.<pid>.tmp`, which the next write of that process replaces).
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * @param {string} path
 * @param {Uint8Array | string} bytes
 * @param {{ beforeRename?: (tmp: string) => void | Promise<void> }} [hooks]  for tests: runs between the flushed temporary file and the rename
 */
export async function writeFileAtomic(path, bytes, hooks = {}) {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  const file = await open(tmp, 'w');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await hooks.beforeRename?.(tmp);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } catch {
    // Some file systems cannot fsync a folder; the rename has happened all the same.
  } finally {
    await folder.close();
  }
}
