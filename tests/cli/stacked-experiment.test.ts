// `experiment stacked --size quick`: greedy denoising pretraining of a 784–128–64
// encoder, then fine-tuning, against the same network from its random start.
import { expect, test } from 'vitest';
import { column, runQuick } from './experiment-run';

test('stacked: each layer pretrains, and the pretrained top codes beat the random ones under a linear probe', async () => {
  const { results } = await runQuick('stacked');
  expect(results.tables[0].rows.map((r) => r[0])).toEqual(['stacked denoising (0.1/0.2)', 'random init']);
  const stages = results.tables[1].rows;
  expect(stages.map((r) => r.slice(0, 4))).toEqual([
    [1, 784, 128, 0.1],
    [2, 128, 64, 0.2],
  ]);
  // Each stage's loss falls well below its first epoch's (measured 230 → 85 and 56 → 28).
  for (const r of stages) expect(r[5] as number).toBeLessThan(0.7 * (r[4] as number));
  // Both fine-tuned networks: 12.6–13% error measured; chance is 90%.
  for (const e of column(results, 'fine-tuned error %')) expect(e).toBeLessThan(20);
  expect(column(results, 'pretraining s')[1]).toBe(0);
  expect(results.checks.length).toBe(1);
}, 240_000);
