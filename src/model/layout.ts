// Where each parameter tensor lives in the model's one flat parameter buffer.
// Tensors are named like a PyTorch state_dict and start at multiples of 64
// floats (256 bytes, WebGPU's minimum storage-buffer offset alignment), so each
// can be bound on its own; gradients and optimizer state share the layout.
import type { BufferSlice } from '../gpu/arena';
import type { ResolvedConfig } from './config';
import { architecture, ownedLayers } from './architecture';

export const TENSOR_ALIGN_FLOATS = 64;

export interface TensorSpec {
  name: string;
  shape: number[];
  /** First float of the tensor in the flat buffer. */
  offset: number;
  /** Number of floats. */
  size: number;
  /** Weights get weight decay; biases do not; statistics (a classifier's code standardisation) are never trained. */
  kind: 'weight' | 'bias' | 'statistic';
  /** The value every element starts at when it is not a weight (default 0; a variance statistic: 1). */
  fill?: number;
}

export class ParameterLayout {
  readonly tensors: readonly TensorSpec[];
  /** Floats in the flat buffer, a multiple of 64 (so also of 4, for vec4 updates). */
  readonly totalFloats: number;

  constructor(specs: ReadonlyArray<Pick<TensorSpec, 'name' | 'shape' | 'kind' | 'fill'>>) {
    let offset = 0;
    this.tensors = specs.map((s) => {
      const size = s.shape.reduce((a, b) => a * b, 1);
      const t = { ...s, offset, size };
      offset += Math.ceil(size / TENSOR_ALIGN_FLOATS) * TENSOR_ALIGN_FLOATS;
      return t;
    });
    this.totalFloats = Math.max(offset, TENSOR_ALIGN_FLOATS);
  }

  get(name: string): TensorSpec {
    const t = this.tensors.find((x) => x.name === name);
    if (!t) throw new Error(`no parameter '${name}' (have: ${this.tensors.map((x) => x.name).join(', ')})`);
    return t;
  }

  has(name: string): boolean {
    return this.tensors.some((x) => x.name === name);
  }

  /** The tensor as a bindable slice of `buffer` (a params, grads or state buffer). */
  slice(buffer: GPUBuffer, name: string): BufferSlice {
    const t = this.get(name);
    return { buffer, offset: t.offset * 4, size: t.size * 4 };
  }
}

/**
 * The model's tensors in state_dict order: per layer weight [out, in] then bias
 * [out] — encoder.0 … encoder.{L−1} (a VAE: up to L−2, then mu and logvar),
 * then decoder.0 … decoder.{L−1}, a classifier's head, and its code statistics
 * (code_norm.running_mean, code_norm.running_var) when it standardises the codes.
 * A tied decoder layer stores only its bias.
 */
export function autoencoderLayout(c: ResolvedConfig): ParameterLayout {
  const arch = architecture(c);
  const specs: Array<Pick<TensorSpec, 'name' | 'shape' | 'kind' | 'fill'>> = [];
  for (const layer of ownedLayers(arch)) {
    if (!layer.transposed) specs.push({ name: layer.weight, shape: [layer.outputs, layer.inputs], kind: 'weight' });
    specs.push({ name: layer.bias, shape: [layer.outputs], kind: 'bias' });
  }
  const norm = arch.codeNorm;
  if (norm) {
    specs.push({ name: norm.mean, shape: [norm.size], kind: 'statistic' });
    specs.push({ name: norm.variance, shape: [norm.size], kind: 'statistic', fill: 1 }); // the identity until fitted, as BatchNorm1d
  }
  return new ParameterLayout(specs);
}
