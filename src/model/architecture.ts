// The layers of a model, derived from its config: what the plan, the float64
// reference, the parameter layout and the model file all iterate over.
//
// Sizes n₀ = inputSize, n₁ … n_L = hiddenSizes. The encoder maps n₀ → … → n_L;
// the decoder mirrors it, n_L → … → n₀. Decoder layer k produces the width of
// encoder layer L−1−k's input and uses that encoder layer's input-side
// activation (g of the layer that produced that width), except the last, whose
// activation f (decoderActivation) is fused into the loss.
//
// A VAE's last encoder step is two linear heads, μ and log σ² (n_{L−1} → n_L),
// instead of a layer; z = μ + σ ⊙ ε feeds the decoder.
import type { Activation } from '../kernels/activations';
import type { ResolvedConfig } from './config';

export interface DenseLayer {
  /** state_dict prefix: 'encoder.0', 'mu', 'decoder.1', … */
  name: string;
  inputs: number;
  outputs: number;
  activation: Activation;
  /** Name of the weight tensor; with tied weights a decoder layer uses its mirror's. */
  weight: string;
  /** The weight is stored [inputs, outputs] (a tied decoder reading its encoder's W), not [outputs, inputs]. */
  transposed: boolean;
  bias: string;
}

export interface Architecture {
  /** Encoder layers in order (a VAE: the hidden layers before the heads). */
  encoder: DenseLayer[];
  /** A VAE's μ and log σ² heads. */
  heads?: { mu: DenseLayer; logvar: DenseLayer };
  /** Decoder layers in order; the last one's activation is the output activation f. */
  decoder: DenseLayer[];
  /** A classifier's softmax head on the code (μ for a VAE): 'classifier', code size → classes, linear. */
  classifier?: DenseLayer;
  /** A classifier's fixed code standardisation before its head (classifier.standardiseCodes): the statistics' tensor names. */
  codeNorm?: CodeNorm;
  /** Width of the code h (or of the latent z). */
  codeSize: number;
  /** Every layer width from the input to the code, n₀ … n_L. */
  widths: number[];
}

/** (code − mean)/√(var + ε) per unit, PyTorch's BatchNorm1d(affine=False) in eval mode: no trained tensor. */
export interface CodeNorm {
  mean: string;
  variance: string;
  size: number;
}

function dense(name: string, inputs: number, outputs: number, activation: Activation): DenseLayer {
  return { name, inputs, outputs, activation, weight: `${name}.weight`, transposed: false, bias: `${name}.bias` };
}

export function architecture(c: ResolvedConfig): Architecture {
  const widths = [c.inputSize, ...c.hiddenSizes];
  const L = c.hiddenSizes.length;
  const vae = c.variational !== false;
  const encoderLayers = vae ? L - 1 : L;
  const encoder = Array.from({ length: encoderLayers }, (_, l) => dense(`encoder.${l}`, widths[l], widths[l + 1], c.encoderActivations[l]));
  const heads = vae
    ? { mu: dense('mu', widths[L - 1], widths[L], 'linear'), logvar: dense('logvar', widths[L - 1], widths[L], 'linear') }
    : undefined;
  const decoder = Array.from({ length: L }, (_, k) => {
    const inputs = widths[L - k];
    const outputs = widths[L - k - 1];
    const activation = k === L - 1 ? c.decoderActivation : c.encoderActivations[L - k - 2];
    const layer = dense(`decoder.${k}`, inputs, outputs, activation);
    if (c.tiedWeights) {
      layer.weight = encoder[L - 1 - k].weight; // W* = Wᵀ of the mirrored encoder layer
      layer.transposed = true;
    }
    return layer;
  });
  const classifier = c.classifier ? dense('classifier', widths[L], c.classifier.classes, 'linear') : undefined;
  const codeNorm = c.classifier?.standardiseCodes ? { mean: 'code_norm.running_mean', variance: 'code_norm.running_var', size: widths[L] } : undefined;
  return { encoder, heads, decoder, classifier, codeNorm, codeSize: widths[L], widths };
}

/** Every layer that owns a weight tensor, in state_dict order (a classifier's head last). */
export function ownedLayers(a: Architecture): DenseLayer[] {
  return [...a.encoder, ...(a.heads ? [a.heads.mu, a.heads.logvar] : []), ...a.decoder, ...(a.classifier ? [a.classifier] : [])];
}

/**
 * The parameter tensors a training step updates: all of an autoencoder's; for a
 * classifier the head, the encoder unless frozen (μ's head, not log σ²'s, unless
 * the decoder runs) and the decoder only with a reconstruction weight > 0. The
 * others get no gradient (they stay zero) and no weight decay, so no update.
 */
export function trainedTensors(a: Architecture, c: ResolvedConfig): Set<string> {
  const head = c.classifier;
  const decoder = !head || head.reconstructionWeight > 0;
  const encoder = !head?.freezeEncoder;
  const layers: DenseLayer[] = [];
  if (encoder) layers.push(...a.encoder, ...(a.heads ? [a.heads.mu] : []));
  if (encoder && decoder && a.heads) layers.push(a.heads.logvar);
  if (decoder) layers.push(...a.decoder);
  if (a.classifier) layers.push(a.classifier);
  const names = new Set<string>();
  for (const l of layers) {
    // A tied decoder layer's weight is its encoder's: trained only when the encoder is.
    if (!l.transposed || encoder) names.add(l.weight);
    names.add(l.bias);
  }
  return names;
}
