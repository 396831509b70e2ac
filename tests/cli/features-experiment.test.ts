// `experiment features --size quick`: raw pixels, PCA and three regularised
// autoencoders (plus the same network from its random start) in one table, with
// the claims that size can show: KL sparsity reaches ρ, the contractive encoder
// contracts, and fine-tuning beats every frozen probe.
import { expect, test } from 'vitest';
import { column, runQuick } from './experiment-run';

test('features: one table over the representations; sparsity, contraction and fine-tuning do what they are for', async () => {
  const { results, md } = await runQuick('features');
  expect(results.tables[0].rows.map((r) => r[0])).toEqual(['raw pixels', 'PCA (k = 64)', 'plain', 'sparse KL', 'contractive', 'random init (no pretraining)']);
  expect(results.figures).toEqual(['filters.png']);
  expect(results.checks.map((c) => c.claim.split(' ')[0])).toEqual(['KL', 'the', 'every']);
  // The identity's Jacobian is I (√784 = 28) and PCA's an orthonormal 64-row projection (√64 = 8).
  expect(column(results, 'mean ‖J‖_F').slice(0, 2)).toEqual([28, 8]);
  // Softmax regression on 1 000 raw digits: 0.836 measured; a broken probe is near chance (0.1).
  expect(column(results, 'probe accuracy')[0]).toBeGreaterThan(0.8);
  // Every fine-tuned classifier: 11–13% error measured; chance is 90%, an untrained head about that.
  for (const e of column(results, 'fine-tuned error %').slice(2)) expect(e).toBeLessThan(20);
  expect(md).toContain('Rifai et al. 2011');
}, 240_000);
