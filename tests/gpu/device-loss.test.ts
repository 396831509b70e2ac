// Device loss during training: the trainer reports it, continues on a new
// device from its last in-memory snapshot, redoes at most snapshotEvery steps,
// and ends bit-identical to a run that was never interrupted. Or it stops, as asked.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { acquireGpu, createAutoencoder, DeviceLostError, liveGpuMemory, type AutoencoderConfig, type DeviceLossEvent, type TrainerOptions } from '../../src/index';
import { readFloats } from '../../src/gpu/arena';
import { randomArray, tensorBits } from './helpers';

const D = 10;
const H = 6;
const COUNT = 37; // batches of 4: 10 steps per epoch, the last one partial
const DATA = randomArray(COUNT * D, 3, 0, 1);
const CONFIG: AutoencoderConfig = { inputSize: D, hiddenSize: H, seed: 11, noise: { type: 'masking', rate: 0.25 }, dropout: 0.1 };
const OPTIONS: TrainerOptions = { batchSize: 4, optimizer: { type: 'adam', learningRate: 0.01 }, syncEvery: 3, snapshotEvery: 7 };

let start: ReturnType<typeof liveGpuMemory>;
beforeAll(() => {
  start = liveGpuMemory();
});
afterAll(() => expect(liveGpuMemory()).toEqual(start));

async function uninterrupted(epochs: number) {
  const m = await createAutoencoder(CONFIG);
  const history = await m.createTrainer(OPTIONS).fit(m.uploadDataset({ data: DATA, features: D }), { epochs });
  const params = tensorBits(await m.getParameters());
  m.dispose();
  return { params, history };
}

describe('device loss', () => {
  test('fit: destroyed mid-run, recovers, redoes ≤ snapshotEvery steps, ends bit-identical', async () => {
    const want = await uninterrupted(3);
    const model = await createAutoencoder(CONFIG);
    const data = model.uploadDataset({ data: DATA, features: D });
    const seen: DeviceLossEvent[] = [];
    const trainer = model.createTrainer({ ...OPTIONS, onDeviceLost: (e) => void seen.push(e) });
    const firstDevice = model.gpu.device;
    let destroyed = false;
    const history = await trainer.fit(data, {
      epochs: 3,
      onProgress: (p) => {
        if (!destroyed && p.step >= 15) {
          destroyed = true;
          firstDevice.destroy(); // as the browser might: GPU reset, driver update
        }
      },
    });
    console.log(`lost at step ${seen[0]?.step}, continued from the snapshot of step ${seen[0]?.snapshotStep}: ${seen[0] ? seen[0].step - seen[0].snapshotStep : 0} steps redone`);
    expect(seen).toHaveLength(1);
    expect(seen[0].reason).toBe('destroyed');
    expect(seen[0].step - seen[0].snapshotStep).toBeGreaterThan(0);
    expect(seen[0].step - seen[0].snapshotStep).toBeLessThanOrEqual(7);
    expect(trainer.recoveries).toEqual(seen);
    expect(model.gpu.device).not.toBe(firstDevice);
    expect(trainer.stepsTaken).toBe(30);
    expect(history.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(history.map((r) => r.trainLoss)).toEqual(want.history.map((r) => r.trainLoss));
    expect(tensorBits(await model.getParameters())).toEqual(want.params);
    // The same dataset object still works for inference on the new device.
    expect((await model.evaluate(data)).reconstruction).toBeGreaterThan(0);
    model.dispose();
  });

  test("steps: a loss between calls is noticed at the next step, and the run ends bit-identical", async () => {
    const ref = await createAutoencoder(CONFIG);
    await ref.createTrainer(OPTIONS).steps(ref.uploadDataset({ data: DATA, features: D }), 23);
    const want = tensorBits(await ref.getParameters());
    ref.dispose();

    const model = await createAutoencoder(CONFIG);
    const data = model.uploadDataset({ data: DATA, features: D });
    const trainer = model.createTrainer(OPTIONS);
    const early = await trainer.steps(data, 12);
    model.gpu.device.destroy();
    const late = await trainer.steps(data, 11);
    expect([...early, ...late].map((l) => l.step)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    expect(trainer.recoveries).toHaveLength(1);
    expect(trainer.recoveries[0].step - trainer.recoveries[0].snapshotStep).toBeLessThanOrEqual(7);
    expect(tensorBits(await model.getParameters())).toEqual(want);
    model.dispose();
  });

  test("onDeviceLost: 'stop' ends training with a DeviceLostError naming the step", async () => {
    const model = await createAutoencoder(CONFIG);
    const trainer = model.createTrainer({ ...OPTIONS, onDeviceLost: 'stop' });
    const data = model.uploadDataset({ data: DATA, features: D });
    await trainer.steps(data, 5);
    model.gpu.device.destroy();
    await expect(trainer.steps(data, 5)).rejects.toThrow(/the GPU device was lost \(destroyed: .*\) at step \d+; stopped as asked \(the last snapshot is of step 0\)/);
    await expect(trainer.steps(data, 1)).rejects.toBeInstanceOf(DeviceLostError);
    model.dispose();
  });

  test("a host app's device: without replaceDevice a clear error, with it recovery", async () => {
    const host = await acquireGpu();
    const stuck = await createAutoencoder(CONFIG, { device: host.device });
    const trainer = stuck.createTrainer(OPTIONS);
    const data = stuck.uploadDataset({ data: DATA, features: D });
    await trainer.steps(data, 4);
    host.device.destroy();
    await expect(trainer.steps(data, 4)).rejects.toThrow(/runs on a device it was given \(\{ device \} or \{ gpu \}\); pass replaceDevice to createAutoencoder\(\) to recover/);
    stuck.dispose();

    const ref = await createAutoencoder(CONFIG);
    await ref.createTrainer(OPTIONS).steps(ref.uploadDataset({ data: DATA, features: D }), 8);
    const want = tensorBits(await ref.getParameters());
    ref.dispose();

    const host2 = await acquireGpu();
    let replacement: Awaited<ReturnType<typeof acquireGpu>> | undefined;
    const model = await createAutoencoder(CONFIG, {
      device: host2.device,
      replaceDevice: async () => (replacement = await acquireGpu()).device,
    });
    const tr = model.createTrainer(OPTIONS);
    const d2 = model.uploadDataset({ data: DATA, features: D });
    await tr.steps(d2, 4);
    host2.device.destroy();
    await tr.steps(d2, 4);
    expect(model.gpu.device).toBe(replacement!.device);
    expect(tensorBits(await model.getParameters())).toEqual(want);
    model.dispose();
    expect(replacement!.isLost()).toBe(false); // the host's device is the host's to destroy
    replacement!.destroy();
  });
});

// An embedded model's inference calls across a lost device: rebuilt on a new
// device from a host copy of the parameters (or the trainer's last snapshot), the
// call is answered there with the same numbers.
describe('inference across a lost device', () => {
  /** Two fit() calls of one epoch each, never interrupted: the codes after the first, the parameters after both. */
  async function twoFits() {
    const ref = await createAutoencoder(CONFIG);
    const data = ref.uploadDataset({ data: DATA, features: D });
    const trainer = ref.createTrainer(OPTIONS);
    await trainer.fit(data, { epochs: 1 });
    const codesAfterOne = await ref.encode(data);
    await trainer.fit(data, { epochs: 1 });
    const params = tensorBits(await ref.getParameters());
    ref.dispose();
    return { codesAfterOne, params };
  }

  const ROWS = Float32Array.from(DATA.slice(0, 9 * D));

  test('between calls: encode, reconstruct, evaluate, decode, contraction and the batch calls answer as before', async () => {
    const model = await createAutoencoder(CONFIG, { inferenceBatchSize: 4 });
    const data = model.uploadDataset({ data: DATA, features: D });
    await model.createTrainer(OPTIONS).fit(data, { epochs: 1 });
    const codes = await model.encode(data);
    const before = {
      codes,
      recon: await model.reconstruct(data),
      evaluation: await model.evaluate(data),
      decoded: await model.decode(codes.slice(0, 3 * H)),
      contraction: await model.contraction(data),
      batch: await model.encodeBatch(ROWS),
      batchRecon: await model.reconstructBatch(ROWS),
      params: tensorBits(await model.getParameters()),
    };
    const calls: Array<[string, () => Promise<unknown>, unknown]> = [
      ['encode', () => model.encode(data), before.codes],
      ['reconstruct', () => model.reconstruct(data), before.recon],
      ['evaluate', () => model.evaluate(data), before.evaluation],
      ['decode', () => model.decode(codes.slice(0, 3 * H)), before.decoded],
      ['contraction', () => model.contraction(data), before.contraction],
      ['encodeBatch', () => model.encodeBatch(ROWS), before.batch],
      ['reconstructBatch', () => model.reconstructBatch(ROWS), before.batchRecon],
    ];
    for (const [name, call, want] of calls) {
      const lostDevice = model.gpu.device;
      lostDevice.destroy();
      expect(await call(), name).toEqual(want);
      expect(model.gpu.device, name).not.toBe(lostDevice);
    }
    expect(tensorBits(await model.getParameters())).toEqual(before.params);
    const onGpu = await model.encodeToBuffer(ROWS);
    expect(onGpu.size).toBe(before.batch.byteLength);
    onGpu.destroy();
    model.dispose();
  });

  test('during a call: a device destroyed while batches are in flight gives the same result', async () => {
    const model = await createAutoencoder(CONFIG, { inferenceBatchSize: 2 });
    const data = model.uploadDataset({ data: DATA, features: D });
    model.setParameters({ 'encoder.0.bias': Float32Array.from({ length: H }, (_, j) => 0.1 * j) });
    const want = await model.encode(data);
    const wantEval = await model.evaluate(data);
    // Destroy the device right after the call's 5th submit (of 19 batches).
    const destroyAfterSubmits = (n: number) => {
      const device = model.gpu.device;
      const submit = device.queue.submit.bind(device.queue);
      let count = 0;
      device.queue.submit = (buffers) => {
        submit(buffers);
        if (++count === n) device.destroy();
      };
      return device;
    };
    let lost = destroyAfterSubmits(5);
    expect(await model.encode(data)).toEqual(want);
    expect(model.gpu.device).not.toBe(lost); // answered on a new device
    lost = destroyAfterSubmits(5);
    expect(await model.evaluate(data)).toEqual(wantEval);
    expect(model.gpu.device).not.toBe(lost);
    model.dispose();
  });

  test('right after training: the parameters come from the trainer, which keeps its state and goes on', async () => {
    const { codesAfterOne: wantCodes, params: want } = await twoFits();

    const model = await createAutoencoder(CONFIG);
    const data = model.uploadDataset({ data: DATA, features: D });
    const trainer = model.createTrainer(OPTIONS);
    await trainer.fit(data, { epochs: 1 });
    model.gpu.device.destroy(); // no inference since training: the weights are on the host only in the trainer's snapshot
    expect(await model.encode(data)).toEqual(wantCodes);
    await trainer.fit(data, { epochs: 1 }); // restored with the model: optimizer state and position intact
    expect(trainer.stepsTaken).toBe(20);
    expect(tensorBits(await model.getParameters())).toEqual(want);
    model.dispose();
  });

  test('between two fit() calls: the trainer recovers from its end-of-epoch snapshot', async () => {
    const { params: want } = await twoFits();

    const model = await createAutoencoder(CONFIG);
    const data = model.uploadDataset({ data: DATA, features: D });
    const trainer = model.createTrainer(OPTIONS);
    await trainer.fit(data, { epochs: 1 });
    model.gpu.device.destroy();
    await trainer.fit(data, { epochs: 1 });
    expect(trainer.recoveries).toHaveLength(1);
    expect(trainer.recoveries[0].snapshotStep).toBe(10);
    expect(tensorBits(await model.getParameters())).toEqual(want);
    model.dispose();
  });

  test('what cannot be recovered says why and what to do', async () => {
    const host = await acquireGpu();
    const model = await createAutoencoder(CONFIG, { device: host.device });
    const data = model.uploadDataset({ data: DATA, features: D });
    await model.encode(data);
    host.device.destroy();
    await expect(model.encode(data)).rejects.toThrow(/the GPU device was lost \(destroyed: .*\) and this model runs on a device it was given \(\{ device \} or \{ gpu \}\); pass replaceDevice to createAutoencoder\(\)/);
    model.dispose();

    const own = await createAutoencoder(CONFIG);
    const input = own.gpu.device.createBuffer({ label: 'my rows', size: ROWS.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    own.gpu.device.queue.writeBuffer(input, 0, ROWS);
    await own.encodeBatch(input);
    own.gpu.device.destroy();
    await expect(own.encodeBatch(input)).rejects.toThrow(/encodeBatch: the GPU device was lost \(destroyed: .*\) and the GPUBuffer 'my rows' passed to it lived on that device; .* create the buffer there and call again/);
    expect(await own.encodeBatch(ROWS)).toHaveLength(9 * H); // the model itself moved on
    own.dispose();
  });
});

/** The labels of the buffers mapped for reading while `run` runs (every read-back maps one). */
async function mappedDuring(run: () => Promise<unknown>): Promise<string[]> {
  const mapAsync = GPUBuffer.prototype.mapAsync;
  const mapped: string[] = [];
  GPUBuffer.prototype.mapAsync = function (this: GPUBuffer, ...args: Parameters<GPUBuffer['mapAsync']>) {
    mapped.push(this.label);
    return mapAsync.apply(this, args);
  };
  try {
    await run();
  } finally {
    GPUBuffer.prototype.mapAsync = mapAsync;
  }
  return mapped;
}

// The host copies that make recovery possible cost no extra read-back in fit():
// each epoch ends with a snapshot, which is also the copy evaluate() keeps and
// the one early stopping takes for the best epoch.
test('fit() with held-out evaluation and early stopping reads the parameters back only in its snapshots', async () => {
  const model = await createAutoencoder(CONFIG);
  const data = model.uploadDataset({ data: DATA, features: D });
  const trainer = model.createTrainer(OPTIONS);
  const mapped = await mappedDuring(() => trainer.fit(data, { epochs: 3, evalData: data, earlyStopping: { patience: 5 } }));
  const paramReads = mapped.filter((l) => l.includes('readback of') && l.includes('params'));
  console.log(`fit, 3 epochs with evaluation: ${mapped.length} maps, ${paramReads.length} separate parameter read-backs`);
  expect(paramReads).toEqual([]);
  expect(mapped.some((l) => l.includes('snapshot'))).toBe(true);
  model.dispose();
});

test('saving model and trainer state after an epoch (as the command line does every epoch) reads nothing back', async () => {
  const model = await createAutoencoder(CONFIG);
  const data = model.uploadDataset({ data: DATA, features: D });
  const trainer = model.createTrainer(OPTIONS);
  const saved: Array<{ params: Record<string, Float32Array>; state: Float32Array[] }> = [];
  const mapped = await mappedDuring(() =>
    trainer.fit(data, {
      epochs: 2,
      onEpoch: async () => void saved.push({ params: await model.getParameters(), state: (await trainer.exportState()).state }),
    }),
  );
  const separate = mapped.filter((l) => l.includes('readback of'));
  console.log(`fit, 2 epochs, state saved after each: ${mapped.length} maps, ${separate.length} separate read-backs`);
  expect(separate).toEqual([]);
  // The copies are the buffers' values: a read-back now gives the same bits.
  const P = model.layout.totalFloats;
  const params = await readFloats(model.gpu.device, model.params, P);
  const last = saved[1];
  for (const t of model.layout.tensors) expect(Array.from(last.params[t.name]), t.name).toEqual(Array.from(params.slice(t.offset, t.offset + t.size)));
  const state = await Promise.all(trainer.plan.optimizerState.map((b) => readFloats(model.gpu.device, b, P)));
  expect(last.state.map((a) => Array.from(a))).toEqual(state.map((a) => Array.from(a)));
  model.dispose();
});
