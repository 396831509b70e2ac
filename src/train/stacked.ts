// Greedy layer-wise pretraining of a deep autoencoder, then end-to-end fine-tuning
// (Bengio et al. 2007; Hinton & Salakhutdinov 2006; Vincent et al. 2010 for
// stacked denoising autoencoders).
//
// For a model D–n₁–…–n_L: stage l trains a one-layer autoencoder n_l → n_{l+1} → n_l
// on the codes of stages 0…l−1 (stage 0 on the data), with any single-layer
// variant (noise, dropout, sparsity, contractive, tied weights, weight decay).
// Its encoder becomes encoder.l and its decoder decoder.{L−1−l} of the deep model,
// whose mirrored decoder layer l reconstructs exactly what stage l reconstructed
// (same width, same activation). Then the whole stack is fine-tuned end to end.
import { AutoencoderModel } from '../model/autoencoder';
import { Trainer } from './trainer';
import { REGULARISER_FIELDS, type AutoencoderConfig, type LossKind, type RegulariserOptions } from '../model/config';
import type { GpuDataset } from '../data/dataset';
import type { OptimizerConfig } from '../kernels/optimizer';
import type { EpochRecord, FitOptions, Progress } from './options';

/** What a pretraining stage may change: the single-layer regularisers (REGULARISER_FIELDS of the config) and its training. */
export interface StageOptions extends RegulariserOptions {
  /** Tie the stage's decoder to its encoder (forced when the deep model is tied). */
  tiedWeights?: boolean;
  epochs?: number;
  batchSize?: number;
  optimizer?: OptimizerConfig;
}

export interface StackedOptions {
  /** Defaults of every pretraining stage. */
  pretrain: { epochs: number; batchSize: number; optimizer: OptimizerConfig };
  /** Per-layer overrides, stage l for encoder layer l (missing entries use `pretrain`). */
  stages?: StageOptions[];
  /** End-to-end fine-tuning of the stacked model; false skips it. */
  fineTune: { epochs: number; batchSize: number; optimizer: OptimizerConfig } | false;
  /** Held-out data for the fine-tuning's epoch records (in the deep model's input space). */
  evalData?: GpuDataset;
  signal?: AbortSignal;
  /** A stage starts: 'pretrain' for layer `layer`, or 'fine-tune'. */
  onStage?: (s: StageEvent) => void;
  onProgress?: (p: Progress & { stage: StageEvent }) => void;
  onEpoch?: (r: EpochRecord & { stage: StageEvent }) => void;
}

export interface StageEvent {
  kind: 'pretrain' | 'fine-tune';
  /** 0-based stage number, and how many there are (layers + fine-tuning). */
  index: number;
  count: number;
  /** The encoder layer being pretrained. */
  layer?: number;
  /** The stage model's config (pretraining). */
  config?: AutoencoderConfig;
}

export interface StackedResult {
  /** Epoch records of each pretraining stage, by layer. */
  pretrain: EpochRecord[][];
  fineTune: EpochRecord[];
}

/**
 * Pretrain `model`'s encoder layer by layer on `data` (uploaded with
 * model.uploadDataset), copy the stages' weights into it, and fine-tune it.
 * The stage models share the model's GPU device and are disposed as they finish.
 */
export async function trainStacked(model: AutoencoderModel, data: GpuDataset, options: StackedOptions): Promise<StackedResult> {
  model.assertAlive();
  model.checkDataset(data);
  const c = model.config;
  if (c.variational) throw new Error('trainStacked: greedy pretraining stacks plain autoencoder layers; a variational autoencoder is trained end to end with createTrainer().fit()');
  if (!options || typeof options !== 'object' || !options.pretrain) throw new Error('trainStacked: options.pretrain { epochs, batchSize, optimizer } is required');
  const L = c.hiddenSizes.length;
  const stages = options.stages ?? [];
  if (!Array.isArray(stages) || stages.length > L) throw new RangeError(`trainStacked: stages must be an array of at most ${L} entries (one per encoder layer), got ${Array.isArray(stages) ? stages.length : typeof stages}`);
  const widths = [c.inputSize, ...c.hiddenSizes];
  const count = L + (options.fineTune ? 1 : 0);
  const result: StackedResult = { pretrain: [], fineTune: [] };
  const weights: Record<string, Float32Array> = {};

  let stageData = data;
  let previous: AutoencoderModel | undefined;
  try {
    for (let l = 0; l < L; l++) {
      const s = { ...options.pretrain, ...stages[l] };
      const below = l === 0 ? undefined : c.encoderActivations[l - 1];
      // The stage reconstructs its input with the activation of the deep model's mirrored decoder layer.
      const decoderActivation = below ?? c.decoderActivation;
      const loss: LossKind = l === 0 ? c.loss : decoderActivation === 'sigmoid' ? 'bce' : 'mse';
      const config: AutoencoderConfig = {
        inputSize: widths[l],
        hiddenSize: widths[l + 1],
        encoderActivation: c.encoderActivations[l],
        decoderActivation,
        loss,
        tiedWeights: c.tiedWeights || (s.tiedWeights ?? false),
        seed: (c.seed + l) >>> 0,
        ...Object.fromEntries(REGULARISER_FIELDS.map((f) => [f, s[f]])),
      };
      const event: StageEvent = { kind: 'pretrain', index: l, count, layer: l, config };
      options.onStage?.(event);
      const stage = await AutoencoderModel.create(config, { gpu: model.gpu });
      try {
        if (l > 0 && previous) {
          // The codes of the layers below, computed by the previous stage's encoder.
          const codes = await previous.encode(stageData);
          stageData = stage.uploadDataset({ data: codes, features: widths[l], label: `stage ${l} codes` });
          previous.dispose();
          previous = undefined;
        }
        const trainer = new Trainer(stage, { batchSize: s.batchSize, optimizer: s.optimizer });
        result.pretrain.push(await trainer.fit(stageData, stageFit(options, event, s.epochs)));
        trainer.dispose();
        const p = await stage.getParameters();
        weights[`encoder.${l}.weight`] = p['encoder.0.weight'];
        weights[`encoder.${l}.bias`] = p['encoder.0.bias'];
        const k = L - 1 - l;
        weights[`decoder.${k}.bias`] = p['decoder.0.bias'];
        if (!c.tiedWeights) weights[`decoder.${k}.weight`] = p['decoder.0.weight'] ?? transpose(p['encoder.0.weight'], widths[l + 1], widths[l]);
        previous = stage;
      } catch (e) {
        stage.dispose();
        throw e;
      }
    }
  } finally {
    previous?.dispose();
  }
  model.setParameters(weights);

  if (options.fineTune) {
    const event: StageEvent = { kind: 'fine-tune', index: L, count };
    options.onStage?.(event);
    const trainer = new Trainer(model, { batchSize: options.fineTune.batchSize, optimizer: options.fineTune.optimizer });
    try {
      result.fineTune = await trainer.fit(data, { ...stageFit(options, event, options.fineTune.epochs), evalData: options.evalData });
    } finally {
      trainer.dispose();
    }
  }
  return result;
}

function stageFit(options: StackedOptions, stage: StageEvent, epochs: number): FitOptions {
  return {
    epochs,
    signal: options.signal,
    onProgress: options.onProgress && ((p) => options.onProgress!({ ...p, stage })),
    onEpoch: options.onEpoch && ((r) => options.onEpoch!({ ...r, stage })),
  };
}

/** Wᵀ of a row-major [rows, cols] matrix. */
function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = w[i * cols + j];
  return out;
}
