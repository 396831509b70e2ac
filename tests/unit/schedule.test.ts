// The learning-rate schedules' formulas (src/train/schedule.ts) at chosen steps, and their checks.
import { expect, test } from 'vitest';
import { scheduledLearningRate, validateSchedule } from '../../src/train/schedule';

const lr = 0.1;
const at = (schedule: unknown, steps: number[]) => steps.map((t) => scheduledLearningRate(validateSchedule(schedule, lr), lr, t));

test('constant: lr at every step; a linear warm-up reaches lr at its last step', () => {
  expect(at(undefined, [1, 2, 1000])).toEqual([lr, lr, lr]);
  expect(at({ warmupSteps: 4 }, [1, 2, 3, 4, 5, 100])).toEqual([lr / 4, lr / 2, (3 * lr) / 4, lr, lr, lr]);
});

test('step: × gamma every stepSize steps after the warm-up (StepLR)', () => {
  expect(at({ type: 'step', stepSize: 3, gamma: 0.5 }, [1, 3, 4, 6, 7])).toEqual([lr, lr, lr * 0.5, lr * 0.5, lr * 0.25]);
  // Warm-up 2, then the decay counts from step 3.
  expect(at({ type: 'step', stepSize: 2, warmupSteps: 2 }, [1, 2, 3, 4, 5])).toEqual([lr / 2, lr, lr, lr, lr * 0.1]);
});

test('cosine: lr right after the warm-up, half-way at T/2, minLearningRate after totalSteps and from then on', () => {
  const s = { type: 'cosine', totalSteps: 12, warmupSteps: 2, minLearningRate: 0.02 }; // T = 10
  const [w1, first, mid, last, after, far] = at(s, [1, 3, 8, 12, 13, 50]);
  expect(w1).toBe(lr / 2);
  expect(first).toBe(lr); // u = 0
  expect(mid).toBeCloseTo(0.02 + 0.08 * 0.5, 15); // u = 5 = T/2: cos = 0
  expect(last).toBeCloseTo(0.02 + 0.04 * (1 + Math.cos((Math.PI * 9) / 10)), 15);
  expect(after).toBeCloseTo(0.02, 15); // u = T
  expect(far).toBeCloseTo(0.02, 15);
});

test('bad schedules are refused naming the field', () => {
  const bad: Array<[unknown, RegExp]> = [
    ['cosine', /schedule must be an object/],
    [{ type: 'exp' }, /schedule.type must be one of constant, step, cosine \(got "exp"\)/],
    [{ type: 'step' }, /'step' needs stepSize/],
    [{ type: 'step', stepSize: 0 }, /stepSize must be a positive integer/],
    [{ type: 'step', stepSize: 2, gamma: 1.5 }, /gamma must be a number in \(0, 1\]/],
    [{ type: 'cosine' }, /'cosine' needs totalSteps/],
    [{ type: 'cosine', totalSteps: 5, warmupSteps: 5 }, /totalSteps \(5\) must be larger than warmupSteps \(5\)/],
    [{ type: 'cosine', totalSteps: 5, minLearningRate: 1 }, /minLearningRate must be a number in \[0, learningRate = 0.1\]/],
    [{ warmupSteps: -1 }, /warmupSteps must be an integer ≥ 0 \(got -1\)/],
    [{ type: 'constant', stepSize: 3 }, /schedule 'constant': unknown field\(s\) stepSize/],
  ];
  for (const [s, message] of bad) expect(() => validateSchedule(s, lr), JSON.stringify(s)).toThrow(message);
  expect(() => scheduledLearningRate(validateSchedule(undefined, lr), lr, 0)).toThrow(/step must be an integer ≥ 1/);
});
