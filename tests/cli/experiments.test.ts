// Every experiment at its quick size, run as a user runs it
// (`webgpu-autoencoders experiment <name> --size quick --out DIR`): its files,
// its table's numbers, and the claims it is designed to show at that size
// (each experiment states them with their margins; they must hold).
import { describe, expect, test } from 'vitest';
// @ts-expect-error plain ESM module of the command line
import { EXPERIMENT_NAMES } from '../../cli/node/experiment-report.mjs';
import { EXPERIMENTS } from '../../cli/page/experiments/registry';
import { cli, column, runQuick } from './experiment-run';

describe('experiment', () => {
  test('the command line knows the same experiments as the page', () => {
    expect([...EXPERIMENT_NAMES].sort()).toEqual(Object.keys(EXPERIMENTS).sort());
  });

  test('usage errors: an unknown experiment or size exits 2 before starting a browser', async () => {
    const unknown = await cli('experiment', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`unknown experiment "nope"; experiments: ${EXPERIMENT_NAMES.join(', ')}`);
    expect(EXPERIMENT_NAMES).toEqual(['filters', 'bottleneck', 'contraction', 'features', 'stacked', 'overcomplete']);
    const size = await cli('experiment', 'filters', '--size', 'huge');
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/--size must be one of quick, medium, full \(got "huge"\)/);
  });

  test('filters: the models share one training budget; the denoisers beat the plain model on their own noise', async () => {
    const { results } = await runQuick('filters');
    // quick leaves out masking q = 0.25 (within 1% of plain at this size); the first row is the no-model baseline
    expect(results.tables[0].rows.map((r) => r[0])).toEqual(['raw pixels (no model)', 'plain', 'masking 0.5', 'Gaussian 0.3']);
    expect(results.figures.sort()).toEqual(['denoising.png', 'filters.png']);
    const [baseline, ...models] = results.tables[0].rows;
    // Every model left the plateau where each digit gets the mean image (held-out BCE ≈ 205 on these digits).
    for (const v of column(results, 'held-out BCE').slice(1)) expect(v).toBeLessThan(150);
    // A probe on 64 trained codes of 1 000 digits, or on the raw pixels, is far above chance (0.1).
    for (const v of column(results, 'probe accuracy')) expect(v).toBeGreaterThan(0.5);
    // The baseline returns its input: no error on clean digits, and masking q = 0.5 removes about half of
    // each digit's ink (Σx² ≈ 80 per MNIST digit in [0, 1] units, so ≈ 40), which every model repairs in part.
    const masked = column(results, 'MSE masking q=0.5 → clean');
    expect(baseline[3]).toBe(0);
    expect(masked[0]).toBeGreaterThan(30);
    for (const v of masked.slice(1)) expect(v).toBeLessThan(masked[0]);
    expect(models.length).toBe(3);
    expect(results.checks.length).toBe(2);
  }, 240_000);

  test('bottleneck: autoencoder and PCA at each code size', async () => {
    const { results } = await runQuick('bottleneck');
    expect(column(results, 'code size')).toEqual([2, 8, 32]);
    const pca = column(results, 'PCA');
    // PCA on its own training digits: the error at k = 32 is well under half that at k = 2 on MNIST.
    expect(pca[2]).toBeLessThan(0.5 * pca[0]);
    // Every error is below the mean image's (≈ 51 on these digits: Σ(x − x̄)² per digit) or on it, never far above.
    for (const name of ['autoencoder (sigmoid code)', 'autoencoder (linear code)', 'deep autoencoder']) for (const v of column(results, name)) expect(v).toBeLessThan(60);
    // Why the sigmoid code stays on that plateau at small sizes: its 2 units are saturated on every test
    // digit (measured 100 %), and the linear code, which cannot saturate, has left it (46.9 vs 51.0).
    const saturated = column(results, 'sigmoid code saturated %');
    expect(saturated[0]).toBeGreaterThan(90);
    expect(column(results, 'autoencoder (linear code)')[0]).toBeLessThan(column(results, 'autoencoder (sigmoid code)')[0] - 2);
    // The deep model's non-linear layers beat PCA at 2 units (measured 41.2 vs 43.8; the third check), where
    // the one-layer linear code does not (46.9).
    expect(column(results, 'deep autoencoder')[0]).toBeLessThan(column(results, 'autoencoder (linear code)')[0]);
    expect(results.checks.length).toBe(3);
  }, 240_000);

  test('contraction: the contractive encoder follows the curve, the plain one does not', async () => {
    const { results } = await runQuick('contraction');
    const angles = column(results, 'angle(u₁, tangent) °');
    // Measured 43° vs 66°: the contractive u₁ is at least 10° closer to the tangent.
    expect(angles[1]).toBeLessThan(angles[0] - 10);
    expect(results.checks.length).toBe(4);
  }, 240_000);
});
