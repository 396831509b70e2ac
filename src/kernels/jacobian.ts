// The exact per-sample ‖∂h/∂x‖²_F of a deep encoder (shaders/jacobian.wgsl):
// blocks A_r = D_L W_L, then A_r ← A_r D_{l} W_{l} down to the input, all R samples
// stacked so each layer's product is one matmul.
import jacobianWgsl from '../../shaders/jacobian.wgsl?raw';
import { groups, makeDispatch, packUniform, type Dispatch, type KernelContext, type KernelSpec, type Resource } from '../gpu';
import { ACTIVATION_CODE, ACTIVATION_WGSL, type Activation } from './activations';
import { requireActivation, requireCount, requireFloats, requireNoAliasing, requireValue } from './checks';
import { matmulDispatch } from './matmul';

const CODE = ACTIVATION_WGSL + jacobianWgsl;
/** Workgroups along y per fold (below the WebGPU minimum of maxComputeWorkgroupsPerDimension, 65 535). */
const MAX_GRID_Y = 32768;
const WG = 64;

/** One encoder layer h = g(h_in·Wᵀ + b) as the Jacobian chain sees it. */
export interface JacobianLayer {
  /** W [outputs, inputs]. */
  weight: Resource;
  /** The layer's outputs h for the batch [rows, outputs]. */
  output: Resource;
  activation: Activation;
  inputs: number;
  outputs: number;
}

export interface EncoderJacobianArgs {
  /** Input side first; the last layer produces the code. */
  layers: JacobianLayer[];
  rows: number;
  /** Two scratch buffers of rows·code·max(inputs) floats each. */
  scratch: [GPUBuffer, GPUBuffer];
  /** [rows] out: ‖J_r‖²_F. */
  norms: Resource;
  label?: string;
}

/** Floats each scratch buffer needs. */
export function jacobianScratchFloats(layers: Pick<JacobianLayer, 'inputs' | 'outputs'>[], rows: number): number {
  const code = layers[layers.length - 1].outputs;
  return rows * code * Math.max(...layers.map((l) => l.inputs));
}

function uniform(ctx: KernelContext, label: string, rows: number, code: number, cols: number): GPUBuffer {
  return ctx.arena.uniform(`${label}/params`, packUniform([['u32', rows], ['u32', code], ['u32', cols], ['u32', 0]]));
}

function spec(entryPoint: string, bindings: KernelSpec['bindings'], activation: Activation = 'linear'): KernelSpec {
  return { name: entryPoint, code: CODE, entryPoint, bindings, constants: { WG, ACT: ACTIVATION_CODE[activation] } };
}

/** The dispatches that leave ‖J_r‖²_F in `norms`, after a forward pass has filled every layer's output. */
export function encoderJacobianDispatches(ctx: KernelContext, a: EncoderJacobianArgs): Dispatch[] {
  const label = a.label ?? 'encoder jacobian';
  const R = a.rows;
  requireCount(label, 'rows', R);
  requireValue(label, 'layers.length', a.layers.length, a.layers.length >= 1, 'at least 1');
  const last = a.layers[a.layers.length - 1];
  const k = last.outputs;
  const need = jacobianScratchFloats(a.layers, R);
  a.layers.forEach((l, i) => {
    requireCount(label, `layers[${i}].inputs`, l.inputs);
    requireCount(label, `layers[${i}].outputs`, l.outputs);
    requireActivation(label, `layers[${i}].activation`, l.activation);
  });
  a.scratch.forEach((b, i) => requireFloats(ctx, label, `scratch[${i}]`, b, need));
  // Each step of the chain reads one scratch buffer and writes the other.
  requireNoAliasing(label, [['scratch[1]', a.scratch[1]]], [['scratch[0]', a.scratch[0]]]);
  requireFloats(ctx, label, 'norms', a.norms, R);
  a.layers.forEach((l, i) => {
    requireFloats(ctx, label, `layers[${i}].weight`, l.weight, l.outputs * l.inputs);
    requireFloats(ctx, label, `layers[${i}].output`, l.output, R * l.outputs);
    if (i > 0 && a.layers[i - 1].outputs !== l.inputs) throw new Error(`${label}: layer ${i} takes ${l.inputs} inputs but layer ${i - 1} gives ${a.layers[i - 1].outputs}`);
  });

  // R·k rows (k per sample) can pass the 65 535 workgroups of one grid dimension: fold them into y and z.
  const foldedRows = (rows: number): [number, number] => {
    const y = Math.min(rows, MAX_GRID_Y);
    return [y, Math.ceil(rows / y)];
  };
  let [cur, next] = a.scratch;
  const out: Dispatch[] = [];
  out.push(
    makeDispatch(
      ctx.cache,
      spec('jacobian_seed', ['uniform', 'read', 'read', 'rw'], last.activation),
      [uniform(ctx, `${label} seed`, R, k, last.inputs), last.output, last.weight, cur],
      [groups(last.inputs, WG), ...foldedRows(R * k)],
      `${label}: A = D_L W_L`,
    ),
  );
  for (let l = a.layers.length - 2; l >= 0; l--) {
    const layer = a.layers[l];
    if (layer.activation !== 'linear') {
      out.push(
        makeDispatch(
          ctx.cache,
          spec('jacobian_scale_cols', ['uniform', 'read', 'rw'], layer.activation),
          [uniform(ctx, `${label} scale ${l}`, R, k, layer.outputs), layer.output, cur],
          [groups(layer.outputs, WG), ...foldedRows(R * k)],
          `${label}: A ← A D_${l}`,
        ),
      );
    }
    out.push(matmulDispatch(ctx, { form: 'nn', M: R * k, N: layer.inputs, K: layer.outputs, a: cur, b: layer.weight, c: next, label: `${label}: A ← A W_${l}` }));
    [cur, next] = [next, cur];
  }
  const D = a.layers[0].inputs;
  out.push(
    makeDispatch(ctx.cache, spec('jacobian_row_norms', ['uniform', 'read', 'rw']), [uniform(ctx, `${label} norms`, R, k, D), cur, a.norms], [groups(R, WG)], `${label}: ‖J_r‖²_F`),
  );
  return out;
}
