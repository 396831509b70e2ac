// Activity-sparsity and contractive penalties inside the training step.
//
// Sparsity acts on dL/dh before it goes through g' (onHidden):
//   L1:  dh += λ·sign(h)/V;                         loss += λ/V · Σ_r Σ_j |h_rj|
//   KL:  dh += β(−ρ/ρ̂ + (1−ρ)/(1−ρ̂))/V;            loss += β · Σ_j KL(ρ ‖ ρ̂_j)
// The contractive penalty λ/V Σ_r ‖∂h_r/∂x̃_r‖²_F needs g'' and adds straight into
// the encoder's gradients (onEncoderGrads), factored as
//   u_rj = (λ/V)·s_j·2g'g''(a_rj),  s_j = Σ_i W_ji²
//   dW += uᵀ·x̃ (matmul 'tn'),  db += Σ_r u,  dW_j += rowScale_j·W_j
// (u is identically 0 for relu and linear encoders, so those two dispatches are skipped).
import type { BufferArena } from '../gpu/arena';
import type { KernelContext } from '../gpu/context';
import type { Dispatch, Resource } from '../gpu/kernel';
import { klColumnStatsDispatch, klGradDispatch, l1ActivityDispatch } from '../kernels/sparsity';
import { addScaledRowsDispatch, contractiveTermsDispatch, rowNormsSqDispatch } from '../kernels/contractive';
import { columnSumDispatch, lossLogDispatch, LOSS_COMPONENT } from '../kernels/reduce';
import { matmulDispatch } from '../kernels/matmul';
import type { ResolvedConfig } from './config';

export interface RegulariserArgs {
  config: ResolvedConfig;
  rows: number;
  step: GPUBuffer;
  log: GPUBuffer;
  input: GPUBuffer; // x̃ [B, D]
  hidden: GPUBuffer; // h [B, H]
  dHidden: GPUBuffer; // dh [B, H] (in place)
  weight: Resource; // W [H, D]
  dWeight: Resource; // dW [H, D]
  dBias: Resource; // db [H]
}

/** Scratch tensors of the penalties, by name (for tests and metrics). */
export type RegulariserBuffers = Record<string, GPUBuffer>;

export function regulariserDispatches(
  ctx: KernelContext,
  arena: BufferArena,
  a: RegulariserArgs,
): { onHidden: Dispatch[]; onEncoderGrads: Dispatch[]; buffers: RegulariserBuffers } {
  const c = a.config;
  const B = a.rows;
  const H = c.hiddenSize;
  const D = c.inputSize;
  const onHidden: Dispatch[] = [];
  const onEncoderGrads: Dispatch[] = [];
  const buffers: RegulariserBuffers = {};
  const log = (values: GPUBuffer, count: number, component: number, scale: number, perSample: boolean, label: string) =>
    lossLogDispatch(ctx, { values, count, log: a.log, step: a.step, component, scale, perSample, label });

  const sp = c.sparsity;
  if (sp.type === 'l1') {
    const rowAbs = (buffers.l1RowAbs = arena.storage('l1 Σ|h| per row', B * 4));
    onHidden.push(l1ActivityDispatch(ctx, { h: a.hidden, dh: a.dHidden, rowAbs, rows: B, hidden: H, lambda: sp.lambda, step: a.step }));
    onHidden.push(log(rowAbs, B, LOSS_COMPONENT.l1, sp.lambda, true, 'log L1 penalty'));
  } else if (sp.type === 'kl') {
    const rhoHat = (buffers.rhoHat = arena.storage('ρ̂ (mean activation)', H * 4));
    const klUnit = (buffers.klUnit = arena.storage('KL per unit', H * 4));
    onHidden.push(klColumnStatsDispatch(ctx, { h: a.hidden, rhoHat, klUnit, rows: B, hidden: H, rho: sp.rho, step: a.step }));
    onHidden.push(klGradDispatch(ctx, { rhoHat, dh: a.dHidden, rows: B, hidden: H, rho: sp.rho, beta: sp.beta, step: a.step }));
    onHidden.push(log(klUnit, H, LOSS_COMPONENT.klSparsity, sp.beta, false, 'log KL sparsity penalty'));
  }

  if (c.contractive > 0) {
    const lambda = c.contractive;
    const g = c.encoderActivation;
    const s = (buffers.rowNormsSq = arena.storage('s = Σ_i W_ji²', H * 4));
    const u = (buffers.contractiveU = arena.storage('contractive u', B * H * 4));
    const rowScale = (buffers.contractiveRowScale = arena.storage('contractive row scale', H * 4));
    const rowJacSq = (buffers.rowJacobianSq = arena.storage('‖J_r‖²_F per row', B * 4));
    onEncoderGrads.push(rowNormsSqDispatch(ctx, { w: a.weight, s, hidden: H, inputs: D }));
    onEncoderGrads.push(contractiveTermsDispatch(ctx, { h: a.hidden, s, u, rowScale, rowJacSq, rows: B, hidden: H, activation: g, lambda, step: a.step }));
    if (g === 'sigmoid' || g === 'tanh') {
      onEncoderGrads.push(matmulDispatch(ctx, { form: 'tn', M: H, N: D, K: B, a: u, b: a.input, c: a.dWeight, accumulate: true, label: 'contractive dW += uᵀ·x̃' }));
      onEncoderGrads.push(columnSumDispatch(ctx, { input: u, output: a.dBias, rows: B, cols: H, accumulate: true, label: 'contractive db += Σ_r u' }));
    }
    onEncoderGrads.push(addScaledRowsDispatch(ctx, { w: a.weight, rowScale, dw: a.dWeight, hidden: H, inputs: D }));
    onEncoderGrads.push(log(rowJacSq, B, LOSS_COMPONENT.contractive, lambda, true, 'log contractive penalty'));
  }
  return { onHidden, onEncoderGrads, buffers };
}
