// The demo's pure helpers: the hidden-sizes field, where validation messages go,
// and the VAE pictures' latents (normal quantiles, the manifold grid, interpolation).
import { describe, expect, it } from 'vitest';
import { fieldOfMessage, parseSizes, validateSettings } from '../../demo/validation';
import { manifoldLatents } from '../../demo/pictures';
import { normalQuantile } from '../../src/analysis/latent';
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

  it('lays the manifold grid out with z₁ to the right and z₂ upwards', () => {
    const side = 3;
    const z = manifoldLatents(side);
    const q = normalQuantile(5 / 6); // quantiles (i + ½)/side
    // Top-left (row 0, col 0): z₁ low, z₂ high; centre (1, 1): 0; bottom-right: z₁ high, z₂ low.
    const close = (got: number[], want: number[]) => got.forEach((v, k) => expect(v).toBeCloseTo(want[k], 6));
    close([z[0], z[1]], [-q, q]);
    close([z[8], z[9]], [0, 0]);
    close([z[16], z[17]], [q, -q]);
  });

});
