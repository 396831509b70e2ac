// Running an experiment as a user runs it (`webgpu-autoencoders experiment <name>
// --size quick --out DIR`) and the checks every experiment's test makes of it: its
// files, its figures, and that every claim it makes at that size holds.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect } from 'vitest';
import { decodePng } from '../png';

const BIN = resolve(__dirname, '../../bin/webgpu-autoencoders.mjs');
const TMP = mkdtempSync(join(tmpdir(), 'wgae-exp-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

export function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, WEBGPU_ADAPTER: process.env.WEBGPU_ADAPTER ?? 'swiftshader' };
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 240_000, maxBuffer: 16 << 20, env }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

export interface Results {
  format: string;
  size: string;
  adapter: { kind: string };
  runtime: string;
  tables: Array<{ columns: string[]; rows: Array<Array<string | number | null>> }>;
  checks: Array<{ claim: string; passed: boolean; measured: string }>;
  figures: string[];
  settings: Record<string, unknown>;
}

export async function runQuick(name: string): Promise<{ results: Results; dir: string; md: string }> {
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
export function column(results: Results, name: string): number[] {
  const t = results.tables[0];
  const k = t.columns.indexOf(name);
  expect(k, `column ${name} in ${t.columns.join(', ')}`).toBeGreaterThanOrEqual(0);
  return t.rows.map((r) => r[k] as number);
}
