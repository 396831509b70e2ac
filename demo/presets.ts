// The variants the demo offers, each with hyperparameters that train well on MNIST.
// A preset is plain data: to add a variant, append an entry here; the form shows
// whatever fields the settings use.
import type { AutoencoderConfig, OptimizerConfig } from '../src/index';

/** Everything the form edits: the model, the optimizer and the run. */
export interface Settings {
  /** The autoencoder config minus inputSize (always 784 for MNIST). */
  model: Omit<AutoencoderConfig, 'inputSize'>;
  optimizer: OptimizerConfig;
  batchSize: number;
  epochs: number;
  /** First n MNIST training images. */
  trainSamples: number;
  /** First n MNIST test images: held-out loss, pictures and activation statistics. */
  evalSamples: number;
  /**
   * Greedy layer-wise pretraining (trainStacked) of a deep model before the
   * end-to-end training: epochs per layer; 0 trains end to end from the start.
   */
  pretrainEpochs: number;
}

export interface Preset {
  id: string;
  label: string;
  /** One sentence on what the variant does, shown under the picker. */
  summary: string;
  settings: Settings;
}

const RUN = { batchSize: 128, epochs: 5, trainSamples: 60000, evalSamples: 2000, pretrainEpochs: 0 };
const ADAM: OptimizerConfig = { type: 'adam', learningRate: 1e-3 };
const SIGMOID = { encoderActivation: 'sigmoid', decoderActivation: 'sigmoid', loss: 'bce' } as const;

export const PRESETS: readonly Preset[] = [
  {
    id: 'plain',
    label: 'Plain',
    summary: 'An undercomplete autoencoder: fewer hidden units than pixels, cross-entropy loss. The bottleneck alone forces a compressed code.',
    settings: { model: { hiddenSize: 128, ...SIGMOID }, optimizer: ADAM, ...RUN },
  },
  {
    id: 'denoising-masking',
    label: 'Denoising · masking',
    summary: 'Each training input has 30% of its pixels set to 0; the model must reconstruct the clean digit.',
    settings: { model: { hiddenSize: 128, ...SIGMOID, noise: { type: 'masking', rate: 0.3 } }, optimizer: ADAM, ...RUN },
  },
  {
    id: 'denoising-gaussian',
    label: 'Denoising · Gaussian',
    summary: 'Gaussian noise (σ = 0.3) is added to every training pixel; the target is the clean digit.',
    settings: { model: { hiddenSize: 128, ...SIGMOID, noise: { type: 'gaussian', stddev: 0.3 } }, optimizer: ADAM, ...RUN },
  },
  {
    id: 'denoising-salt-and-pepper',
    label: 'Denoising · salt & pepper',
    summary: '20% of the training pixels are replaced by 0 or 1 at random; the target is the clean digit.',
    settings: { model: { hiddenSize: 128, ...SIGMOID, noise: { type: 'salt-and-pepper', rate: 0.2 } }, optimizer: ADAM, ...RUN },
  },
  {
    id: 'sparse-l1',
    label: 'Sparse · L1',
    summary: 'A wide code (256 units) with an L1 penalty λ·Σ|h| that pushes activations towards zero, so each digit uses few units.',
    settings: { model: { hiddenSize: 256, ...SIGMOID, sparsity: { type: 'l1', lambda: 0.05 } }, optimizer: ADAM, ...RUN },
  },
  {
    id: 'sparse-kl',
    label: 'Sparse · KL',
    summary: 'Each unit’s mean activation ρ̂ is pulled towards ρ = 0.05 by β·Σ KL(ρ‖ρ̂) — the classic sparse autoencoder.',
    // β = 10, measured (6 400 digits, batches of 128, 400 steps): the mean activation falls
    // to 0.10 (plain: 0.73 after 200 steps); β = 3 stops at 0.15, β = 30 reaches 0.08 but
    // held-out BCE is 245 instead of 196 by then. The reconstruction term is summed over
    // 784 pixels, so β is larger than the classic exercise's 3 (which assumes ½·MSE).
    settings: { model: { hiddenSize: 196, ...SIGMOID, sparsity: { type: 'kl', rho: 0.05, beta: 10 } }, optimizer: ADAM, ...RUN },
  },
  {
    id: 'contractive',
    label: 'Contractive',
    summary: 'λ·‖∂h/∂x‖²_F penalises the code’s sensitivity to its input, so it varies only along the data.',
    settings: { model: { hiddenSize: 128, ...SIGMOID, contractive: 0.1 }, optimizer: ADAM, ...RUN },
  },
  {
    id: 'sparse-contractive',
    label: 'Sparse + contractive',
    summary: 'Both penalties at once: a KL-sparse code (ρ = 0.05) that is also contractive (λ = 0.05).',
    settings: {
      model: { hiddenSize: 196, ...SIGMOID, sparsity: { type: 'kl', rho: 0.05, beta: 3 }, contractive: 0.05 },
      optimizer: ADAM,
      ...RUN,
    },
  },
  {
    id: 'vae-2d',
    label: 'VAE · 2-D latent',
    summary:
      'A variational autoencoder 784–256–2 (ReLU): the encoder gives μ and log σ² of q(z|x), the loss is reconstruction + KL(q‖N(0, I)) = −ELBO. ' +
      'With two latent dimensions the whole learned manifold fits in one picture.',
    settings: {
      model: { hiddenSizes: [256, 2], encoderActivation: 'relu', decoderActivation: 'sigmoid', loss: 'bce', variational: { beta: 1, warmupSteps: 0 } },
      optimizer: ADAM,
      ...RUN,
    },
  },
  {
    id: 'vae-20d',
    label: 'VAE · 20-D latent',
    summary:
      'The PyTorch example’s VAE, 784–400–20 (ReLU), with β warmed up over the first 500 steps so the code is used before the KL term pulls it to the prior. ' +
      'The latent map shows μ projected on its two principal directions.',
    settings: {
      model: { hiddenSizes: [400, 20], encoderActivation: 'relu', decoderActivation: 'sigmoid', loss: 'bce', variational: { beta: 1, warmupSteps: 500 } },
      optimizer: ADAM,
      ...RUN,
    },
  },
  {
    id: 'deep-stacked',
    label: 'Deep · stacked',
    summary:
      'A deep autoencoder 784–256–64–256–784: each encoder layer is first pretrained greedily as a one-layer autoencoder on the codes of the layer below, ' +
      'then the whole stack is fine-tuned end to end.',
    settings: { model: { hiddenSizes: [256, 64], ...SIGMOID }, optimizer: ADAM, ...RUN, pretrainEpochs: 1 },
  },
];

export function presetById(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}

/** A deep copy, so editing the form never changes a preset. */
export function cloneSettings(s: Settings): Settings {
  return structuredClone(s);
}
