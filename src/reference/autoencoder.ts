// The whole autoencoder in float64 — any depth, tied or not, every regulariser,
// and the VAE: loss and the gradient of every parameter for one batch. It is
// the oracle for the GPU training step and is itself checked against finite
// differences (tests/unit/autoencoder-reference.test.ts).
//
// Layers come from src/model/architecture.ts. With V valid rows (the rest of the
// batch is padding) and input x̃ (corrupted, for a denoising model):
//   encoder l:  h_l = g_l(h_{l−1}·W_lᵀ + b_l),  h̃_l = h_l ⊙ m_l/(1−p)   (dropout)
//   VAE heads:  μ, s = log σ² from the last hidden layer, z = μ + exp(½s) ⊙ ε
//   decoder k:  y_k = a_k(y_{k−1}·W*_kᵀ + c_k), the last pre-activation being the logits
//   L = (1/V) Σ_r ℓ(x_r, logits_r) + λ_wd Σ W² + sparsity(h_L) + λ_c (1/V) Σ_r ‖∂h_r/∂x̃_r‖²_F
//       + β_t (1/V) Σ_r KL_r,   KL_r = −½ Σ_j (1 + s_rj − μ_rj² − exp s_rj)
// A classifier (config.classifier) adds a softmax head on the code (h̃_L after
// dropout, μ for a VAE), z_c = code·W_cᵀ + b_c, and weights the reconstruction
// objective by w (its reconstructionWeight; with w = 0 the decoder is not run):
//   L = (1/V) Σ_r −log softmax(z_c,r)_{y_r} + w·(reconstruction + β_t KL) + the penalties
// With freezeEncoder only the head (and the decoder, for w > 0) get gradients; with
// standardiseCodes (which needs it) the head reads (code − mean)/√(var + ε) (standardise.ts).
//
// Each term's formula has one home, its per-kernel reference: lossRef (loss.ts),
// l1Ref and klSparsityRef (sparsity.ts), contractiveRef (contractive.ts),
// weightDecayRef (optimizer.ts) and the VAE functions (vae.ts). This file only
// wires them through the layers.
import { activate, activationGradFromOutput } from './activations';
import type { ResolvedConfig } from '../model/config';
import { architecture, type DenseLayer } from '../model/architecture';
import { autoencoderLayout } from '../model/layout';
import { contractiveRef } from './contractive';
import { lossRef, meanLossRef } from './loss';
import { weightDecayRef } from './optimizer';
import { klSparsityRef, l1Ref } from './sparsity';
import { objectiveTotal, type LossComponents } from '../model/objective';
import { klWeightRef, vaeBackwardRef, vaeKlRowsRef, vaeSampleRef } from './vae';
import { softmaxCrossEntropyRef } from './softmax';
import { CODE_NORM_EPS, reconstructionWeight, trainsDecoder } from '../model/config';
import { standardiseRef } from './standardise';
import { trainedTensors } from '../model/architecture';

export type Params = Record<string, Float64Array>;

/**
 * Each term of the objective (src/model/objective.ts) and their total: every term,
 * the VAE's KL weighted by β_t. vaeKl is the VAE's mean KL per sample, unweighted
 * (reconstruction + vaeKl is the negative ELBO).
 */
export type LossParts = LossComponents & { total: number };

export interface ReferenceBatch {
  /** Clean targets x [B·D]. */
  clean: ArrayLike<number>;
  /** Encoder input x̃ [B·D] (the corrupted batch for a denoising model; else the clean one). */
  input: ArrayLike<number>;
  rows: number;
  validRows: number;
  /** Dropout keep-mask m ∈ {0,1} of encoder layer 0 [B·n₁]; omitted means keep everything. */
  keepMask?: ArrayLike<number>;
  /** Keep-masks of every encoder layer (overrides keepMask). */
  keepMasks?: ArrayLike<number>[];
  /** The VAE's ε [B·Z]. */
  eps?: ArrayLike<number>;
  /** Optimizer step (1-based), for the VAE's β warm-up. Default 1. */
  step?: number;
  /** A classifier's label of each valid row. */
  labels?: ArrayLike<number>;
}

/** W(o, i) of a layer: its own [out, in] tensor, or its tied mirror's [in, out]. */
function weightOf(layer: DenseLayer, p: Params): (o: number, i: number) => number {
  const W = p[layer.weight];
  return layer.transposed ? (o, i) => W[i * layer.outputs + o] : (o, i) => W[o * layer.inputs + i];
}

/** pre = in·Wᵀ + b for B rows. */
function dense(layer: DenseLayer, p: Params, input: ArrayLike<number>, B: number): Float64Array {
  const { inputs: n, outputs: m } = layer;
  const W = weightOf(layer, p);
  const b = p[layer.bias];
  const out = new Float64Array(B * m);
  for (let r = 0; r < B; r++) {
    for (let o = 0; o < m; o++) {
      let s = b[o];
      for (let i = 0; i < n; i++) s += input[r * n + i] * W(o, i);
      out[r * m + o] = s;
    }
  }
  return out;
}

/** Adds dW += dPreᵀ·in, db += Σ_r dPre into grads; returns dIn = dPre·W (when wanted). */
function denseBackward(layer: DenseLayer, p: Params, grads: Params, input: ArrayLike<number>, dPre: Float64Array, B: number, wantInput: boolean): Float64Array | undefined {
  const { inputs: n, outputs: m } = layer;
  const dW = grads[layer.weight];
  const db = grads[layer.bias];
  for (let o = 0; o < m; o++) {
    for (let r = 0; r < B; r++) {
      const d = dPre[r * m + o];
      if (d === 0) continue;
      db[o] += d;
      for (let i = 0; i < n; i++) {
        if (layer.transposed) dW[i * m + o] += d * input[r * n + i];
        else dW[o * n + i] += d * input[r * n + i];
      }
    }
  }
  if (!wantInput) return undefined;
  const W = weightOf(layer, p);
  const dIn = new Float64Array(B * n);
  for (let r = 0; r < B; r++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let o = 0; o < m; o++) s += dPre[r * m + o] * W(o, i);
      dIn[r * n + i] = s;
    }
  }
  return dIn;
}

/**
 * Loss parts and gradients for one batch. `h` is the code (μ for a VAE), `z` the
 * output logits (zeros when a classifier's training skips the decoder), `classLogits`
 * a classifier's head logits.
 */
export function autoencoderStepRef(cfg: ResolvedConfig, p: Params, batch: ReferenceBatch): { loss: LossParts; grads: Params; h: Float64Array; z: Float64Array; classLogits?: Float64Array } {
  const arch = architecture(cfg);
  const D = cfg.inputSize;
  const B = batch.rows;
  const V = batch.validRows;
  const keep = cfg.dropout > 0 ? 1 / (1 - cfg.dropout) : 1;
  const x = batch.clean;
  const grads: Params = {};
  for (const t of autoencoderLayout(cfg).tensors) grads[t.name] = new Float64Array(t.size);
  const maskOf = (l: number, k: number) => {
    if (cfg.dropout === 0) return 1;
    const m = batch.keepMasks?.[l] ?? (l === 0 ? batch.keepMask : undefined);
    return m ? m[k] : 1;
  };

  // Encoder: hs[l] = h_l (before dropout), ins[l] = the input of layer l.
  const ins: ArrayLike<number>[] = [];
  const hs: Float64Array[] = [];
  let current: ArrayLike<number> = batch.input;
  arch.encoder.forEach((layer, l) => {
    ins.push(current);
    const h = dense(layer, p, current, B).map((a) => activate(a, layer.activation));
    hs.push(h);
    const hd = cfg.dropout > 0 ? h.map((v, k) => v * maskOf(l, k) * keep) : h;
    current = hd;
  });

  const current0 = current; // the code after dropout (the last hidden layer's, for a VAE)

  // VAE heads and the reparameterisation.
  let mu: Float64Array | undefined;
  let logvar: Float64Array | undefined;
  let headInput: ArrayLike<number> | undefined;
  const Z = arch.codeSize;
  const decoding = trainsDecoder(cfg);
  if (arch.heads) {
    headInput = current;
    mu = dense(arch.heads.mu, p, current, B);
    logvar = dense(arch.heads.logvar, p, current, B);
    if (decoding) {
      if (!batch.eps || batch.eps.length < B * Z) throw new Error(`autoencoderStepRef: a VAE needs eps with ${B * Z} values`);
      current = vaeSampleRef(mu, logvar, batch.eps);
    }
  }

  const w = reconstructionWeight(cfg);
  const frozen = cfg.classifier?.freezeEncoder ?? false;

  // Decoder: ys[k] = output of decoder layer k (the last: logits, before f).
  let z: Float64Array = new Float64Array(B * D);
  let recon = 0;
  let vaeKl = 0;
  // dOut: dL/dh̃ of the code (a VAE: none, dmu/dlogvar instead).
  let dOut: Float64Array = new Float64Array(B * Z);
  let dmu: Float64Array | undefined;
  let dlogvar: Float64Array | undefined;
  if (decoding) {
    const decIns: ArrayLike<number>[] = [];
    const ys: Float64Array[] = [];
    arch.decoder.forEach((layer, k) => {
      decIns.push(current);
      const pre = dense(layer, p, current, B);
      const y = k === arch.decoder.length - 1 ? pre : pre.map((a) => activate(a, layer.activation));
      ys.push(y);
      current = y;
    });
    z = ys[ys.length - 1];

    // Reconstruction loss and dL/dlogits (weighted by w for a classifier).
    const reconstruction = lossRef(cfg.loss, cfg.decoderActivation, z, x, B, V, D);
    recon = meanLossRef(reconstruction.rowLoss, V);
    dOut = reconstruction.dz.map((d) => d * w);

    // Decoder backward, last layer first; dOut becomes dL/d(decoder input).
    for (let k = arch.decoder.length - 1; k >= 0; k--) {
      const layer = arch.decoder[k];
      if (k < arch.decoder.length - 1) {
        const y = ys[k];
        dOut = dOut.map((d, q) => d * activationGradFromOutput(y[q], layer.activation));
      }
      dOut = denseBackward(layer, p, grads, decIns[k], dOut, B, true)!;
    }

    // Through the VAE: KL term (weighted w·β_t) and reparameterisation.
    if (arch.heads && mu && logvar) {
      const v = cfg.variational as { beta: number; warmupSteps: number };
      const beta = klWeightRef(v.beta * w, v.warmupSteps, batch.step ?? 1);
      vaeKl = vaeKlRowsRef(mu, logvar, B, Z, V).reduce((a, x) => a + x, 0) / V;
      ({ dmu, dlogvar } = vaeBackwardRef({ mu, logvar, dz: dOut, eps: batch.eps! }, B, Z, V, beta));
    }
  }

  // A classifier's head on the code (h̃ of the code layer, μ for a VAE), into dOut or dμ.
  let classifierLoss = 0;
  let classLogits: Float64Array | undefined;
  if (arch.classifier) {
    const C = arch.classifier.outputs;
    if (!batch.labels || batch.labels.length < V) throw new Error(`autoencoderStepRef: a classifier needs ${V} labels`);
    const code = mu ?? current0;
    const norm = arch.codeNorm;
    const codeIn = norm ? standardiseRef(code, p[norm.mean], p[norm.variance], B, norm.size, CODE_NORM_EPS) : code;
    classLogits = dense(arch.classifier, p, codeIn, B);
    const sm = softmaxCrossEntropyRef(classLogits, batch.labels, B, V, C);
    classifierLoss = sm.rowLoss.reduce((a, b) => a + b, 0) / V;
    const dCode = denseBackward(arch.classifier, p, grads, codeIn, sm.dz, B, true)!;
    if (arch.heads) dmu = dmu ? dmu.map((d, q) => d + dCode[q]) : dCode;
    else dOut = decoding ? dOut.map((d, q) => d + dCode[q]) : dCode;
  }

  // The VAE's heads (log σ²'s only when the decoder ran).
  if (!frozen && arch.heads && headInput && dmu) {
    const fromMu = denseBackward(arch.heads.mu, p, grads, headInput, dmu, B, true)!;
    const fromLv = dlogvar ? denseBackward(arch.heads.logvar, p, grads, headInput, dlogvar, B, true)! : undefined;
    dOut = fromLv ? fromMu.map((d, q) => d + fromLv[q]) : fromMu;
  }

  // Encoder backward, code layer first. dOut is dL/dh̃ of the layer's output.
  let l1 = 0;
  let kl = 0;
  let contractive = 0;
  const Lenc = arch.encoder.length;
  for (let l = frozen ? -1 : Lenc - 1; l >= 0; l--) {
    const layer = arch.encoder[l];
    const H = layer.outputs;
    const h = hs[l];
    const dh = cfg.dropout > 0 ? dOut.map((d, k) => d * maskOf(l, k) * keep) : dOut;
    if (l === Lenc - 1 && !arch.heads) {
      // Activity sparsity on the code: its gradient joins dL/dh.
      const sp = cfg.sparsity;
      if (sp.type === 'l1') {
        const ref = l1Ref(h, B, V, H, sp.lambda);
        l1 = ref.penalty;
        addInto(dh, ref.dh);
      } else if (sp.type === 'kl') {
        const ref = klSparsityRef(h, B, V, H, sp.rho, sp.beta);
        kl = ref.penalty;
        addInto(dh, ref.dh);
      }
    }
    const da = dh.map((d, k) => d * activationGradFromOutput(h[k], layer.activation));
    const dIn = denseBackward(layer, p, grads, ins[l], da, B, l > 0);
    if (l === 0 && cfg.contractive > 0) {
      // One-layer encoders only (the config refuses the rest), so layer 0 is the code layer.
      const c = contractiveRef(ins[0], p[layer.weight], p[layer.bias], B, V, layer.inputs, H, layer.activation, cfg.contractive);
      contractive = c.penalty;
      addInto(grads[layer.weight], c.dW);
      addInto(grads[layer.bias], c.db);
    }
    if (dIn) dOut = dIn;
  }

  // Weight decay on every weight tensor.
  let wd = 0;
  if (cfg.weightDecay > 0) {
    const trained = trainedTensors(arch, cfg);
    for (const t of autoencoderLayout(cfg).tensors) {
      if (t.kind === 'weight' && trained.has(t.name)) wd += weightDecayRef(p[t.name], grads[t.name], cfg.weightDecay);
    }
  }

  const terms: LossComponents = { reconstruction: recon, weightDecay: wd, l1, klSparsity: kl, contractive, vaeKl, classifier: classifierLoss };
  const loss = { ...terms, total: objectiveTotal(cfg, terms, batch.step ?? 1) };
  return { loss, grads, h: mu ?? hs[Lenc - 1], z, classLogits };
}

/** target[k] += add[k]. */
function addInto(target: Float64Array, add: ArrayLike<number>): void {
  for (let k = 0; k < target.length; k++) target[k] += add[k];
}

/**
 * Exact ‖∂h/∂x‖²_F per sample for the whole encoder (to the code, or to μ for a
 * VAE): J = D_L W_L ⋯ D_1 W_1 with D_l = diag(g_l'(a_l)), multiplied out per row.
 */
export function jacobianNormSqRef(cfg: ResolvedConfig, p: Params, input: ArrayLike<number>, rows: number): Float64Array {
  const arch = architecture(cfg);
  const layers = [...arch.encoder, ...(arch.heads ? [arch.heads.mu] : [])];
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const D = cfg.inputSize;
    let J: Float64Array = new Float64Array(D * D) as Float64Array; // identity [D, D]
    for (let i = 0; i < D; i++) J[i * D + i] = 1;
    let cols = D;
    let act: ArrayLike<number> = Array.from({ length: D }, (_, i) => input[r * D + i]);
    for (const layer of layers) {
      const W = weightOf(layer, p);
      const pre = dense(layer, p, act, 1);
      const h = pre.map((a) => activate(a, layer.activation));
      const next = new Float64Array(layer.outputs * D);
      for (let o = 0; o < layer.outputs; o++) {
        const d = activationGradFromOutput(h[o], layer.activation);
        for (let c = 0; c < D; c++) {
          let s = 0;
          for (let i = 0; i < cols; i++) s += W(o, i) * J[i * D + c];
          next[o * D + c] = d * s;
        }
      }
      J = next;
      cols = layer.outputs;
      act = h;
    }
    out[r] = J.reduce((a, v) => a + v * v, 0);
  }
  return out;
}

/** The decoder alone: x̂ = f(decoder(codes)) for `rows` codes [rows·Z] (z of a VAE). */
export function decodeRef(cfg: ResolvedConfig, p: Params, codes: ArrayLike<number>, rows: number): Float64Array {
  const arch = architecture(cfg);
  let current: ArrayLike<number> = codes;
  arch.decoder.forEach((layer) => {
    current = dense(layer, p, current, rows).map((a) => activate(a, layer.activation));
  });
  return current as Float64Array;
}
