// The VAE's β warm-up: the production schedule (src/kernels/vae.ts, used by the
// trainer to weight the reported KL) against its float64 reference
// (src/reference/vae.ts, used by the model reference and the kernel tests), and
// both against values worked out by hand.
import { describe, expect, test } from 'vitest';
import { klWeight } from '../../src/kernels/vae';
import { klWeightRef } from '../../src/reference/vae';

describe('KL weight schedule', () => {
  // β = 2 over 4 warm-up steps: a straight line from 0 to 2, then flat.
  const HAND: Array<[beta: number, warmupSteps: number, step: number, expected: number]> = [
    [2, 4, 0, 0],
    [2, 4, 1, 0.5],
    [2, 4, 3, 1.5],
    [2, 4, 4, 2],
    [2, 4, 100, 2],
    [0.5, 0, 0, 0.5], // no warm-up: β from the first step
    [0.5, 0, 7, 0.5],
  ];

  test.each(HAND)('β=%d, warm-up %d, step %d → %d', (beta, warmupSteps, step, expected) => {
    expect(klWeight({ beta, warmupSteps }, step)).toBe(expected);
    expect(klWeightRef(beta, warmupSteps, step)).toBe(expected);
  });

  test('production and reference agree on a grid of β, warm-up and step', () => {
    for (const beta of [0, 0.25, 1, 3.7]) {
      for (const warmupSteps of [0, 1, 3, 1000]) {
        for (const step of [0, 1, 2, 3, 500, 999, 1000, 1001, 1e6]) {
          expect(klWeight({ beta, warmupSteps }, step), `β=${beta} warm-up=${warmupSteps} step=${step}`).toBe(klWeightRef(beta, warmupSteps, step));
        }
      }
    }
  });
});
