// The demo's pure helpers: the hidden-sizes field, where validation messages go,
// and the VAE pictures' latents (normal quantiles, the manifold grid, interpolation).
import { describe, expect, it } from 'vitest';
import { fieldOfMessage, parseSizes, validateSettings } from '../../demo/validation';
import { interpolate, latentGrid, normalQuantile } from '../../demo/pictures';
import { PRESETS } from '../../demo/presets';

describe('demo helpers', () => {
  it('parses a hidden-sizes list', () => {
    expect(parseSizes('128')).toEqual([128]);
    expect(parseSizes(' 256, 64 ')).toEqual([256, 64]);
    expect(parseSizes('500–250 ; 30')).toEqual([500, 250, 30]);
    expect(parseSizes('')).toEqual([]);
    expect(parseSizes('256, x')[1]).toBeNaN();
    expect(parseSizes('-5')).toEqual([-5]);
  });

  it('puts hidden-sizes and VAE messages next to their fields', () => {
    expect(fieldOfMessage('hiddenSizes[1] must be a positive integer (got NaN)')).toBe('hiddenSize');
    expect(fieldOfMessage('variational.beta must be a finite number ≥ 0 (got -1)')).toBe('vaeBeta');
    expect(fieldOfMessage('variational.warmupSteps must be an integer ≥ 0 (got 1.5)')).toBe('vaeWarmup');
    const vae = structuredClone(PRESETS.find((p) => p.id === 'vae-2d')!.settings);
    vae.model.hiddenSizes = [256, 0];
    vae.model.variational = { beta: -1, warmupSteps: 0 };
    vae.model.tiedWeights = true;
    vae.pretrainEpochs = 1;
    const errors = validateSettings(vae);
    expect(errors.hiddenSize).toMatch(/^hiddenSizes\[1\] must be a positive integer \(got 0\)/);
    expect(errors.vaeBeta).toMatch(/^variational.beta must be a finite number ≥ 0/);
    expect(errors.pretrainEpochs).toMatch(/must be 0 for a VAE/);
    // Tied weights are refused only in combination with a (valid) VAE config.
    vae.model.hiddenSizes = [256, 2];
    vae.model.variational = { beta: 1, warmupSteps: 0 };
    expect(validateSettings(vae).tiedWeights).toMatch(/^tiedWeights must be false for a variational autoencoder/);
  });

  it('every preset is valid', () => {
    for (const p of PRESETS) expect([p.id, validateSettings(p.settings)]).toEqual([p.id, {}]);
  });

  it('normal quantiles match known values and are odd about ½', () => {
    const known: Array<[number, number]> = [
      [0.5, 0],
      [0.975, 1.959963984540054],
      [0.8413447460685429, 1],
      [0.001, -3.090232306167814],
      [1e-6, -4.753424308822899],
    ];
    for (const [p, z] of known) expect(Math.abs(normalQuantile(p) - z)).toBeLessThan(1e-8 * Math.max(1, Math.abs(z)));
    for (const p of [0.01, 0.1, 0.3]) expect(normalQuantile(1 - p)).toBeCloseTo(-normalQuantile(p), 12);
    expect(() => normalQuantile(0)).toThrow(/p must be in \(0, 1\)/);
  });

  it('lays the manifold grid out with z₁ to the right and z₂ upwards', () => {
    const side = 3;
    const z = latentGrid(side);
    const q = normalQuantile(5 / 6);
    // Top-left (row 0, col 0): z₁ low, z₂ high; centre (1, 1): 0; bottom-right: z₁ high, z₂ low.
    expect([z[0], z[1]]).toEqual([Math.fround(-q), Math.fround(q)]);
    expect([z[8], z[9]]).toEqual([0, 0]);
    expect([z[16], z[17]]).toEqual([Math.fround(q), Math.fround(-q)]);
  });

  it('interpolates with both ends included', () => {
    expect(Array.from(interpolate([0, 10], [4, 2], 3))).toEqual([0, 10, 2, 6, 4, 2]);
  });
});
