// Every experiment at its quick size, run as a user runs it
// (`webgpu-autoencoders experiment <name> --size quick --out DIR`): its files,
// its table's numbers, and the claims it is designed to show at that size
// (each experiment states them with their margins; they must hold).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
// @ts-expect-error plain ESM module of the command line
import { EXPERIMENT_NAMES } from '../../cli/node/experiment-report.mjs';
import { EXPERIMENTS } from '../../cli/page/experiments/registry';
import { decodePng } from '../png';

const BIN = resolve(__dirname, '../../bin/webgpu-autoencoders.mjs');
const TMP = mkdtempSync(join(tmpdir(), 'wgae-exp-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, WEBGPU_ADAPTER: process.env.WEBGPU_ADAPTER ?? 'swiftshader' };
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 240_000, maxBuffer: 16 << 20, env }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

interface Results {
  format: string;
  size: string;
  adapter: { kind: string };
  runtime: string;
  tables: Array<{ columns: string[]; rows: Array<Array<string | number | null>> }>;
  checks: Array<{ claim: string; passed: boolean; measured: string }>;
  figures: string[];
  settings: Record<string, unknown>;
}

async function runQuick(name: string): Promise<{ results: Results; dir: string; md: string }> {
  const dir = join(TMP, name);
  const r = await cli('experiment', name, '--size', 'quick', '--out', dir, '--quiet');
  expect(r.code, r.stderr).toBe(0);
  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
  expect(results.format).toBe('webgpu-autoencoders-experiment/1');
  expect(results.size).toBe('quick');
  expect(results.runtime).toBe('browser');
  expect(results.figures.length).toBeGreaterThan(0);
  for (const f of results.figures) {
    const png = decodePng(new Uint8Array(readFileSync(join(dir, f))));
    expect(png.width * png.height).toBeGreaterThan(1000);
  }
  const md = readFileSync(join(dir, 'results.md'), 'utf8');
  for (const f of results.figures) expect(md).toContain(`![${f}](${f})`);
  for (const c of results.checks) expect(c.passed, `${name}: ${c.claim} (${c.measured})`).toBe(true);
  expect(md).not.toContain('NOT shown');
  return { results, dir, md };
}

/** A numeric column of the first table. */
function column(results: Results, name: string): number[] {
  const t = results.tables[0];
  const k = t.columns.indexOf(name);
  expect(k, `column ${name} in ${t.columns.join(', ')}`).toBeGreaterThanOrEqual(0);
  return t.rows.map((r) => r[k] as number);
}

describe('experiment', () => {
  test('the command line knows the same experiments as the page', () => {
    expect([...EXPERIMENT_NAMES].sort()).toEqual(Object.keys(EXPERIMENTS).sort());
  });

  test('usage errors: an unknown experiment or size exits 2 before starting a browser', async () => {
    const unknown = await cli('experiment', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown experiment "nope"; experiments: filters, bottleneck, contraction/);
    const size = await cli('experiment', 'filters', '--size', 'huge');
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/--size must be one of quick, medium, full \(got "huge"\)/);
  });

  test('filters: the models share one training budget; the denoisers beat the plain model on their own noise', async () => {
    const { results } = await runQuick('filters');
    // quick leaves out masking q = 0.25 (within 1% of plain at this size)
    expect(results.tables[0].rows.map((r) => r[0])).toEqual(['plain', 'masking 0.5', 'Gaussian 0.3']);
    expect(results.figures.sort()).toEqual(['denoising.png', 'filters.png']);
    // Every model left the plateau where each digit gets the mean image (held-out BCE ≈ 205 on these digits).
    for (const v of column(results, 'held-out BCE')) expect(v).toBeLessThan(150);
    // A probe on 64 trained codes of 1 000 digits is far above chance (0.1).
    for (const v of column(results, 'probe accuracy')) expect(v).toBeGreaterThan(0.5);
    expect(results.checks.length).toBe(2);
  }, 240_000);

  test('bottleneck: autoencoder and PCA at each code size', async () => {
    const { results } = await runQuick('bottleneck');
    expect(column(results, 'code size')).toEqual([2, 8, 32]);
    const pca = column(results, 'PCA');
    // PCA on its own training digits: the error at k = 32 is well under half that at k = 2 on MNIST.
    expect(pca[2]).toBeLessThan(0.5 * pca[0]);
  }, 240_000);

  test('contraction: the contractive encoder follows the curve, the plain one does not', async () => {
    const { results } = await runQuick('contraction');
    const angles = column(results, 'angle(u₁, tangent) °');
    // Measured 43° vs 66°: the contractive u₁ is at least 10° closer to the tangent.
    expect(angles[1]).toBeLessThan(angles[0] - 10);
    expect(results.checks.length).toBe(4);
  }, 240_000);
});
