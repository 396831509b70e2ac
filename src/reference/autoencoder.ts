// The whole single-layer autoencoder in float64: loss and the gradient of every
// parameter for one batch, with every regulariser. It is the oracle for the GPU
// training step and is itself checked against finite differences.
//
//   a = x̃·Wᵀ + b,  h = g(a),  h̃ = h ⊙ m/(1−p)  (dropout),  z = h̃·W*ᵀ + c,  x̂ = f(z)
//   L = (1/V) Σ_r ℓ(x_r, z_r) + λ_wd Σ W² + sparsity(h) + λ_c (1/V) Σ_r ‖∂h_r/∂x̃_r‖²_F
// with V the number of valid rows (the rest of the batch is padding).
import { activate, activationGradFromOutput, activationSecondFromOutput } from './activations';
import type { ResolvedConfig } from '../model/config';

export type Params = Record<string, Float64Array>;

export interface LossParts {
  reconstruction: number;
  weightDecay: number;
  l1: number;
  klSparsity: number;
  contractive: number;
  total: number;
}

export interface ReferenceBatch {
  /** Clean targets x [B·D]. */
  clean: ArrayLike<number>;
  /** Encoder input x̃ [B·D] (the corrupted batch for a denoising model; else the clean one). */
  input: ArrayLike<number>;
  rows: number;
  validRows: number;
  /** Dropout keep-mask m ∈ {0,1} [B·H]; omitted means keep everything. */
  keepMask?: ArrayLike<number>;
}

/** ε of the KL-sparsity clamp: ρ̂ is kept in [ε, 1−ε] so the logs stay finite. */
export const KL_RHO_EPS = 1e-6;

export function decoderWeight(cfg: ResolvedConfig, p: Params): { get: (i: number, j: number) => number } {
  const D = cfg.inputSize;
  const H = cfg.hiddenSize;
  if (cfg.tiedWeights) {
    const W = p['encoder.0.weight'];
    return { get: (i, j) => W[j * D + i] };
  }
  const W2 = p['decoder.0.weight'];
  return { get: (i, j) => W2[i * H + j] };
}

/** Loss parts and gradients for one batch. */
export function autoencoderStepRef(cfg: ResolvedConfig, p: Params, batch: ReferenceBatch): { loss: LossParts; grads: Params; h: Float64Array; z: Float64Array } {
  const D = cfg.inputSize;
  const H = cfg.hiddenSize;
  const B = batch.rows;
  const V = batch.validRows;
  const g = cfg.encoderActivation;
  const f = cfg.decoderActivation;
  const W = p['encoder.0.weight'];
  const b = p['encoder.0.bias'];
  const c = p['decoder.0.bias'];
  const W2 = decoderWeight(cfg, p);
  const keep = cfg.dropout > 0 ? 1 / (1 - cfg.dropout) : 1;
  const x = batch.clean;
  const xin = batch.input;

  // Forward.
  const h = new Float64Array(B * H);
  const hd = new Float64Array(B * H);
  for (let r = 0; r < B; r++) {
    for (let j = 0; j < H; j++) {
      let a = b[j];
      for (let i = 0; i < D; i++) a += xin[r * D + i] * W[j * D + i];
      h[r * H + j] = activate(a, g);
      const m = cfg.dropout > 0 ? (batch.keepMask ? batch.keepMask[r * H + j] : 1) : 1;
      hd[r * H + j] = h[r * H + j] * m * keep;
    }
  }
  const z = new Float64Array(B * D);
  for (let r = 0; r < B; r++) {
    for (let i = 0; i < D; i++) {
      let s = c[i];
      for (let j = 0; j < H; j++) s += hd[r * H + j] * W2.get(i, j);
      z[r * D + i] = s;
    }
  }

  // Reconstruction loss and dL/dz.
  const dz = new Float64Array(B * D);
  let recon = 0;
  for (let r = 0; r < V; r++) {
    for (let i = 0; i < D; i++) {
      const zi = z[r * D + i];
      const xi = x[r * D + i];
      if (cfg.loss === 'bce') {
        recon += Math.max(zi, 0) - xi * zi + Math.log1p(Math.exp(-Math.abs(zi)));
        dz[r * D + i] = (activate(zi, 'sigmoid') - xi) / V;
      } else {
        const y = activate(zi, f);
        recon += (y - xi) ** 2;
        dz[r * D + i] = (2 * (y - xi) * activationGradFromOutput(y, f)) / V;
      }
    }
  }
  recon /= V;

  // Decoder gradients.
  const grads: Params = {};
  const dW = new Float64Array(H * D);
  const db = new Float64Array(H);
  const dc = new Float64Array(D);
  const dW2 = cfg.tiedWeights ? dW : new Float64Array(D * H);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < H; j++) {
      let s = 0;
      for (let r = 0; r < B; r++) s += dz[r * D + i] * hd[r * H + j];
      if (cfg.tiedWeights) dW[j * D + i] += s;
      else dW2[i * H + j] = s;
    }
    for (let r = 0; r < B; r++) dc[i] += dz[r * D + i];
  }

  // Back through the decoder matmul and dropout to dL/dh.
  const dh = new Float64Array(B * H);
  for (let r = 0; r < B; r++) {
    for (let j = 0; j < H; j++) {
      let s = 0;
      for (let i = 0; i < D; i++) s += dz[r * D + i] * W2.get(i, j);
      const m = cfg.dropout > 0 ? (batch.keepMask ? batch.keepMask[r * H + j] : 1) : 1;
      dh[r * H + j] = s * m * keep;
    }
  }

  // Activity sparsity on h.
  let l1 = 0;
  let kl = 0;
  const sp = cfg.sparsity;
  if (sp.type === 'l1') {
    for (let r = 0; r < V; r++) {
      for (let j = 0; j < H; j++) {
        const v = h[r * H + j];
        l1 += Math.abs(v);
        dh[r * H + j] += (sp.lambda * Math.sign(v)) / V;
      }
    }
    l1 *= sp.lambda / V;
  } else if (sp.type === 'kl') {
    for (let j = 0; j < H; j++) {
      let mean = 0;
      for (let r = 0; r < V; r++) mean += h[r * H + j];
      const raw = V > 0 ? mean / V : 0;
      mean = Math.min(Math.max(raw, KL_RHO_EPS), 1 - KL_RHO_EPS);
      const rho = sp.rho;
      kl += rho * Math.log(rho / mean) + (1 - rho) * Math.log((1 - rho) / (1 - mean));
      // Where the clamp is active the clamped penalty is flat in ρ̂: its gradient is 0
      // (the exact derivative of the loss we report, as in shaders/sparsity.wgsl).
      const clamped = raw < KL_RHO_EPS || 1 - raw < KL_RHO_EPS;
      const gj = clamped ? 0 : (sp.beta * (-rho / mean + (1 - rho) / (1 - mean))) / V;
      for (let r = 0; r < V; r++) dh[r * H + j] += gj;
    }
    kl *= sp.beta;
  }

  // Through g, then the encoder matmul.
  const da = new Float64Array(B * H);
  for (let k = 0; k < B * H; k++) da[k] = dh[k] * activationGradFromOutput(h[k], g);
  for (let j = 0; j < H; j++) {
    for (let r = 0; r < B; r++) {
      const d = da[r * H + j];
      if (d === 0) continue;
      db[j] += d;
      for (let i = 0; i < D; i++) dW[j * D + i] += d * xin[r * D + i];
    }
  }

  // Contractive penalty: ‖J_r‖²_F = Σ_j g'(a_rj)² s_j, s_j = Σ_i W_ji².
  let contractive = 0;
  const lc = cfg.contractive;
  if (lc > 0) {
    const s = new Float64Array(H);
    for (let j = 0; j < H; j++) for (let i = 0; i < D; i++) s[j] += W[j * D + i] ** 2;
    for (let r = 0; r < V; r++) {
      for (let j = 0; j < H; j++) {
        const y = h[r * H + j];
        const g1 = activationGradFromOutput(y, g);
        const g2 = activationSecondFromOutput(y, g);
        contractive += g1 * g1 * s[j];
        const u = (lc / V) * s[j] * 2 * g1 * g2; // ∂/∂a_rj of the penalty
        db[j] += u;
        for (let i = 0; i < D; i++) dW[j * D + i] += u * xin[r * D + i] + (lc / V) * 2 * g1 * g1 * W[j * D + i];
      }
    }
    contractive *= lc / V;
  }

  // Weight decay on weights.
  let wd = 0;
  if (cfg.weightDecay > 0) {
    const lam = cfg.weightDecay;
    for (let k = 0; k < W.length; k++) {
      wd += W[k] * W[k];
      dW[k] += 2 * lam * W[k];
    }
    if (!cfg.tiedWeights) {
      const W2a = p['decoder.0.weight'];
      for (let k = 0; k < W2a.length; k++) {
        wd += W2a[k] * W2a[k];
        dW2[k] += 2 * lam * W2a[k];
      }
    }
    wd *= lam;
  }

  grads['encoder.0.weight'] = dW;
  grads['encoder.0.bias'] = db;
  if (!cfg.tiedWeights) grads['decoder.0.weight'] = dW2;
  grads['decoder.0.bias'] = dc;
  const loss = { reconstruction: recon, weightDecay: wd, l1, klSparsity: kl, contractive, total: recon + wd + l1 + kl + contractive };
  return { loss, grads, h, z };
}
