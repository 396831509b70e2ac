// Matrix product C = g(op(A)·op(B) + bias) or C += op(A)·op(B) (for 'tn', optionally
// with the column sums of A alongside: a weight gradient's bias gradient), in two
// kernel families with the same bindings, forms and epilogue:
//  - 'blocked' (shaders/matmul.wgsl): each invocation computes a 4×4 block of C
//    straight from global memory. An aligned path reads A and B as vec4 and is
//    chosen automatically when the vectorised dimensions are multiples of 4
//    (nn: K, N; nt: K; tn: M, N); otherwise a general path with scalar loads runs.
//    The fastest on SwiftShader.
//  - 'tiled' (shaders/matmul_tiled.wgsl): 64×64 tiles of C per workgroup, A and B
//    staged through workgroup memory 16 k's at a time; for GPUs.
//  - 'subgroup' (shaders/matmul_subgroup.wgsl, on devices with the 'subgroups'
//    feature): 4×4 blocks like 'blocked', op(A) shared across a subgroup by shuffles.
// Which one a dispatch gets: args.kernel when given, else the context's
// MatmulTuner (src/kernels/matmul-tuning.ts: forced, cached or timed per shape),
// else 'blocked'.
import matmulWgsl from '../../shaders/matmul.wgsl?raw';
import matmulTiledWgsl from '../../shaders/matmul_tiled.wgsl?raw';
import matmulSubgroupWgsl from '../../shaders/matmul_subgroup.wgsl?raw';
import matmulLossWgsl from '../../shaders/common/matmul_loss.wgsl?raw';
import gradGuardWgsl from '../../shaders/common/grad_guard.wgsl?raw';
import logRiderWgsl from '../../shaders/common/log_rider.wgsl?raw';
import stepWgsl from '../../shaders/common/step.wgsl?raw';
import type { KernelContext } from '../gpu/context';
import { makeDispatch, groups, type BindingKind, type Dispatch, type KernelSpec, type Resource } from '../gpu/kernel';
import { packUniform } from '../gpu/uniforms';
import { ACTIVATION_CODE, ACTIVATION_WGSL, type Activation } from './activations';
import { requireActivation, requireBoolean, requireCount, requireFinite, requireFloats, requireInteger, requireNoAliasing, requireOneOf, requireStep } from './checks';
import { GUARD_BYTES, GUARD_WGSL } from './guard';
import { LOSS_CODE, LOSS_KINDS, RECON_LOSS_WGSL, type LossKind } from './loss';
import type { MatmulTuner } from './matmul-tuning';
import { LOSS_LOG_WGSL, lossLogParams, validateLossLogTerm, type LossLogTerm } from './reduce';

/** The matmul kernel families. */
export const MATMUL_KERNELS = ['blocked', 'tiled', 'subgroup'] as const;
export type MatmulKernel = (typeof MATMUL_KERNELS)[number];

/** Whether `device` can run a kernel family ('subgroup' needs the 'subgroups' feature, which acquireGpu requests where the adapter has it). */
export function matmulKernelAvailable(device: GPUDevice, kernel: MatmulKernel): boolean {
  return kernel !== 'subgroup' || device.features.has('subgroups');
}

/**
 * A kernel context that may carry a MatmulTuner: every matmulDispatch built with it
 * (the plans' layers, their backward, the objective's terms) asks the tuner which
 * kernel to use. A plan passes its context on unchanged, so the tuner reaches them all.
 */
export type MatmulContext = KernelContext & { readonly matmul?: MatmulTuner };

const MATMUL_FORMS = ['nn', 'nt', 'tn'] as const;
export type MatmulForm = (typeof MATMUL_FORMS)[number];

export interface MatmulArgs {
  form: MatmulForm;
  M: number;
  N: number;
  K: number;
  /** 'nn','nt': A is [M,K]; 'tn': A is [K,M] (so the product uses Aᵀ). */
  a: Resource;
  /** 'nn','tn': B is [K,N]; 'nt': B is [N,K] (so the product uses Bᵀ). */
  b: Resource;
  /** C is [M,N], row-major. */
  c: Resource;
  /** Optional bias [N], added to every row of the product (fused epilogue). */
  bias?: Resource;
  /** Applied after the bias (fused epilogue). Default 'linear'. */
  activation?: Activation;
  /** C += op(A)·op(B) instead of C = … . Only with no bias and linear activation (throw otherwise). */
  accumulate?: boolean;
  /**
   * 'tn' only, without a bias: also write rowSums[m] = Σ_k A[k,m] ([M]; written, never
   * accumulated). For a weight gradient dW = dPreᵀ·in this is the bias gradient
   * Σ_r dPre, fused into the product instead of a separate column-sum dispatch.
   * Needs `guard`: the weight-gradient epilogue checks what it stores.
   */
  rowSums?: Resource;
  /** With rowSums (and only then): the non-finite guard the stored C and rowSums go through. */
  guard?: MatmulGuard;
  /**
   * With guard (the weight-gradient epilogue): a sum into the loss log that rides in
   * this dispatch, in one extra workgroup (shaders/common/log_rider.wgsl), instead of
   * a loss-log dispatch of its own; the logged value goes through the guard with code
   * 0, the loss, at guard.step's step — lossLogDispatch with a guard, bit for bit
   * on 'tiled' (whose workgroups have the loss log's 256 invocations). Its values must
   * have been written by an earlier dispatch.
   */
  ridingLog?: LossLogTerm;
  /**
   * Without a bias, activation or accumulate: store C = op(A)·op(B) ⊙ g'(y), where
   * `output` [M,N] holds y = g(a) of the layer whose input gradient C is (g' from y:
   * sigmoid y(1−y), tanh 1−y², relu [y > 0]). The activation's backward fused into dIn.
   */
  gate?: { output: Resource; activation: Activation };
  /**
   * With a bias and no activation, accumulate, rowSums or gate: the product is
   * the logits z of the decoder's last layer in training, stored in C, and each
   * element also gets its reconstruction loss ℓ(z, x) in `elementLoss` and
   * ∂ℓ/∂z · inv_rows · gradScale in `grad` (0 and 0 on padding rows): the loss
   * kernel's work (src/kernels/loss.ts) fused into the product's epilogue.
   */
  loss?: MatmulLoss;
  /** Use this kernel family (tests, benchmarks); otherwise the context's tuner chooses, or 'blocked'. */
  kernel?: MatmulKernel;
  label?: string;
}

/** The loss epilogue's tensors and settings (MatmulArgs.loss). */
export interface MatmulLoss {
  /** x [M,N]: the targets. */
  target: Resource;
  /** ∂L/∂z [M,N], written. */
  grad: Resource;
  /** ℓ [M,N], written: the per-element losses (a row's sum is its sample's loss). */
  elementLoss: Resource;
  /** The Step uniform (valid_rows, inv_rows). */
  step: GPUBuffer;
  kind: LossKind;
  outputActivation: Activation;
  /** The loss's weight in the objective, on the gradient only. Default 1. */
  gradScale?: number;
}

/**
 * The weight-gradient epilogue's guard (MatmulArgs.guard): a non-finite value stored
 * in C[m,n] records code cCode + m·N + n, one in rowSums[m] sumsCode + m, in the
 * 16-byte guard at the Step's step (src/kernels/finite.ts has the codes' meaning:
 * 1 + the value's flat index in the gradient buffer).
 */
export interface MatmulGuard {
  guard: Resource;
  step: GPUBuffer;
  cCode: number;
  sumsCode: number;
}

/** 'aligned': vec4 loads of A and B; 'general': scalar loads, any sizes. */
const MATMUL_PATHS = ['aligned', 'general'] as const;
export type MatmulPath = (typeof MATMUL_PATHS)[number];

/** What every family prepends: activation helpers, the element losses, the Step uniform, the guard's and the loss log's records, the two training epilogues and the loss-log rider. */
const MATMUL_COMMON = ACTIVATION_WGSL + RECON_LOSS_WGSL + stepWgsl + GUARD_WGSL + LOSS_LOG_WGSL + matmulLossWgsl + gradGuardWgsl + logRiderWgsl;
/** The full WGSL module of 'blocked': the common part + shaders/matmul.wgsl. */
export const MATMUL_CODE: string = MATMUL_COMMON + matmulWgsl;
/** The full WGSL module of 'tiled': the common part + shaders/matmul_tiled.wgsl. */
export const MATMUL_TILED_CODE: string = MATMUL_COMMON + matmulTiledWgsl;
/** The full WGSL module of 'subgroup': the extension, the common part, 'blocked' (its blocks and stores) + shaders/matmul_subgroup.wgsl. */
export const MATMUL_SUBGROUP_CODE: string = 'enable subgroups;\n' + MATMUL_CODE + matmulSubgroupWgsl;

/** Every entry point of shaders/matmul.wgsl (for compile checks). */
export const MATMUL_ENTRY_POINTS = [
  'matmul_aligned', 'matmul_aligned_bias', 'matmul_aligned_sums', 'matmul_aligned_sums_logged', 'matmul_aligned_gate', 'matmul_aligned_loss',
  'matmul_general', 'matmul_general_bias', 'matmul_general_sums', 'matmul_general_sums_logged', 'matmul_general_gate', 'matmul_general_loss',
] as const;
/** Every entry point of shaders/matmul_tiled.wgsl. */
export const MATMUL_TILED_ENTRY_POINTS = ['matmul_tiled', 'matmul_tiled_bias', 'matmul_tiled_sums', 'matmul_tiled_sums_logged', 'matmul_tiled_gate', 'matmul_tiled_loss'] as const;
/** Every entry point of shaders/matmul_subgroup.wgsl. */
export const MATMUL_SUBGROUP_ENTRY_POINTS = ['matmul_subgroup', 'matmul_subgroup_bias', 'matmul_subgroup_sums', 'matmul_subgroup_sums_logged', 'matmul_subgroup_gate', 'matmul_subgroup_loss'] as const;

const FORM_CODE: Record<MatmulForm, number> = { nn: 0, nt: 1, tn: 2 };
/** Invocations per workgroup along N (x) and M (y); each covers 4×4 outputs. */
const WG_X = 16;
const WG_Y = 8;
const BLOCK = 4;
/** Rows and columns of C per workgroup of 'tiled' (TILE in shaders/matmul_tiled.wgsl). */
const TILE = 64;
/** Invocations per workgroup of 'subgroup' (SG_WG), each 4 columns of the workgroup's 4 rows. */
const SG_WG = 64;

/** Whether the vec4 path can run: the dimensions it reads as vec4 are multiples of 4. */
export function matmulAlignedOk(form: MatmulForm, M: number, N: number, K: number): boolean {
  switch (form) {
    case 'nn':
      return K % 4 === 0 && N % 4 === 0;
    case 'nt':
      return K % 4 === 0;
    case 'tn':
      return M % 4 === 0 && N % 4 === 0;
  }
}

/** Check sizes, slices and options; throw a message naming the bad argument. */
function validate(ctx: KernelContext, args: MatmulArgs, where: string): void {
  const { form, M, N, K } = args;
  requireOneOf(where, 'form', form, MATMUL_FORMS);
  requireCount(where, 'M', M);
  requireCount(where, 'N', N);
  requireCount(where, 'K', K);
  const activation = args.activation ?? 'linear';
  requireActivation(where, 'activation', activation);
  const accumulate = args.accumulate ?? false;
  requireBoolean(where, 'accumulate', accumulate);
  if (accumulate && (args.bias !== undefined || activation !== 'linear')) {
    throw new Error(`${where}: accumulate (C += A·B) is only allowed with no bias and a linear activation`);
  }
  requireFloats(ctx, where, 'a', args.a, M * K, form === 'tn' ? `[K,M] = [${K},${M}]` : `[M,K] = [${M},${K}]`);
  requireFloats(ctx, where, 'b', args.b, N * K, form === 'nt' ? `[N,K] = [${N},${K}]` : `[K,N] = [${K},${N}]`);
  requireFloats(ctx, where, 'c', args.c, M * N, `[M,N] = [${M},${N}]`);
  if (args.bias !== undefined) requireFloats(ctx, where, 'bias', args.bias, N, `[N] = [${N}]`);
  if (args.rowSums !== undefined) {
    if (form !== 'tn' || args.bias !== undefined) throw new Error(`${where}: rowSums (Σ_k A[k,m]) is only allowed with form 'tn' and no bias (got form '${form}'${args.bias !== undefined ? ' with a bias' : ''})`);
    requireFloats(ctx, where, 'rowSums', args.rowSums, M, `[M] = [${M}]`);
    const g = args.guard;
    if (g === undefined) throw new Error(`${where}: rowSums needs guard (the weight-gradient epilogue checks what it stores)`);
    requireFloats(ctx, where, 'guard.guard', g.guard, GUARD_BYTES / 4);
    requireStep(where, g.step);
    requireInteger(where, 'guard.cCode', g.cCode, 1, 0xfffffffe - M * N, 'codes stay below 2^32 − 1');
    requireInteger(where, 'guard.sumsCode', g.sumsCode, 1, 0xfffffffe - M, 'codes stay below 2^32 − 1');
  } else if (args.guard !== undefined) {
    throw new Error(`${where}: guard is only allowed with rowSums (the weight-gradient epilogue)`);
  }
  if (args.ridingLog !== undefined) {
    if (args.guard === undefined) throw new Error(`${where}: ridingLog (a loss-log sum in an extra workgroup) is only allowed with rowSums and guard (the weight-gradient epilogue)`);
    validateLossLogTerm(ctx, `${where} (ridingLog)`, args.ridingLog);
  }
  if (args.gate !== undefined) {
    if (args.bias !== undefined || activation !== 'linear' || accumulate || args.rowSums !== undefined) {
      throw new Error(`${where}: gate (C = A·B ⊙ g'(y)) is only allowed without bias, activation, accumulate or rowSums`);
    }
    requireActivation(where, 'gate.activation', args.gate.activation);
    requireFloats(ctx, where, 'gate.output', args.gate.output, M * N, `[M,N] = [${M},${N}]`);
  }
  const l = args.loss;
  if (l !== undefined) {
    if (args.bias === undefined || activation !== 'linear' || accumulate || args.rowSums !== undefined || args.gate !== undefined) {
      throw new Error(`${where}: loss (the logits' reconstruction loss) is only allowed with a bias, a linear activation and no accumulate, rowSums or gate`);
    }
    requireOneOf(where, 'loss.kind', l.kind, LOSS_KINDS);
    requireActivation(where, 'loss.outputActivation', l.outputActivation);
    if (l.kind === 'bce' && l.outputActivation !== 'sigmoid') throw new Error(`${where}: loss 'bce' needs outputActivation 'sigmoid', got '${l.outputActivation}'`);
    requireStep(where, l.step);
    if (l.gradScale !== undefined) requireFinite(where, 'loss.gradScale', l.gradScale);
    for (const [name, r] of [['loss.target', l.target], ['loss.grad', l.grad], ['loss.elementLoss', l.elementLoss]] as const) requireFloats(ctx, where, name, r, M * N, `[M,N] = [${M},${N}]`);
  }
  const read: [string, Resource][] = [
    ['a', args.a],
    ['b', args.b],
  ];
  if (args.bias !== undefined) read.push(['bias', args.bias]);
  if (args.gate !== undefined) read.push(['gate.output', args.gate.output]);
  if (l !== undefined) read.push(['loss.target', l.target]);
  if (args.ridingLog !== undefined) read.push(['ridingLog.values', args.ridingLog.values]);
  const written: [string, Resource][] = [['c', args.c]];
  if (args.rowSums !== undefined) written.push(['rowSums', args.rowSums]);
  if (args.guard !== undefined) written.push(['guard.guard', args.guard.guard]);
  if (args.ridingLog !== undefined) written.push(['ridingLog.log', args.ridingLog.log]);
  if (l !== undefined) written.push(['loss.grad', l.grad], ['loss.elementLoss', l.elementLoss]);
  requireNoAliasing(where, written, read);
}

/**
 * Build the dispatch for C = g(op(A)·op(B) + bias) (or C += op(A)·op(B)): on
 * args.kernel, else on the kernel the context's tuner picks for this shape, else
 * on 'blocked' (with its fastest valid path).
 */
export function matmulDispatch(ctx: MatmulContext, args: MatmulArgs): Dispatch {
  if (args.kernel === undefined && ctx.matmul) {
    validate(ctx, args, args.label ?? `matmul_${args.form}`); // before the tuner keeps the arguments
    return ctx.matmul.dispatch(ctx, args);
  }
  return matmulKernelDispatch(ctx, args, args.kernel ?? 'blocked');
}

/** The dispatch on one kernel family ('blocked' on its fastest valid path). */
export function matmulKernelDispatch(ctx: KernelContext, args: MatmulArgs, kernel: MatmulKernel): Dispatch {
  const where = args.label ?? `matmul_${args.form}`;
  requireOneOf(where, 'kernel', kernel, MATMUL_KERNELS);
  if (!matmulKernelAvailable(ctx.device, kernel)) throw new Error(`${where}: kernel 'subgroup' needs a device with the 'subgroups' feature (this one has not got it); use 'blocked' or 'tiled'`);
  if (kernel === 'tiled') return tiledDispatch(ctx, args);
  if (kernel === 'subgroup') return subgroupDispatch(ctx, args);
  return matmulDispatchOnPath(ctx, args, matmulAlignedOk(args.form, args.M, args.N, args.K) ? 'aligned' : 'general');
}

/** The uniform of sizes both families read (struct MatmulSizes). */
function sizesUniform(ctx: KernelContext, label: string, args: MatmulArgs): GPUBuffer {
  return ctx.arena.uniform(
    `${label}/sizes`,
    packUniform([
      ['u32', args.M],
      ['u32', args.N],
      ['u32', args.K],
    ]),
  );
}

type Suffix = '' | '_bias' | '_sums' | '_sums_logged' | '_gate' | '_loss';

/**
 * The bindings (binding 4: bias, row sums, the gate's layer output, or nothing;
 * 5–9 the loss epilogue's, 5–7 the weight-gradient epilogue's guard, 8–10 its
 * riding loss log), the entry point's suffix, and the override constants every
 * family shares.
 */
function bindingsOf(ctx: KernelContext, label: string, args: MatmulArgs): { bindings: BindingKind[]; resources: (sizes: GPUBuffer) => Resource[]; suffix: Suffix; constants: Record<string, number> } {
  const bindings: BindingKind[] = ['uniform', 'read', 'read', 'rw'];
  const sums: Suffix = args.ridingLog !== undefined ? '_sums_logged' : '_sums';
  const [suffix, extra]: [Suffix, Resource | undefined] =
    args.loss !== undefined ? ['_loss', args.bias] : args.bias !== undefined ? ['_bias', args.bias] : args.rowSums !== undefined ? [sums, args.rowSums] : args.gate !== undefined ? ['_gate', args.gate.output] : ['', undefined];
  if (extra !== undefined) bindings.push(args.rowSums !== undefined ? 'rw' : 'read');
  const l = args.loss;
  const epilogue: Resource[] = [];
  if (l !== undefined) {
    bindings.push('read', 'rw', 'uniform', 'rw', 'uniform');
    const params = ctx.arena.uniform(`${label}/loss epilogue`, packUniform([['f32', l.gradScale ?? 1]]));
    epilogue.push(l.target, l.grad, l.step, l.elementLoss, params);
  }
  const g = args.guard;
  if (g !== undefined) {
    bindings.push('rw', 'uniform', 'uniform');
    const codes = ctx.arena.uniform(`${label}/guard codes`, packUniform([['u32', g.cCode], ['u32', g.sumsCode]]));
    epilogue.push(g.guard, codes, g.step);
  }
  let perSample = 0;
  if (args.ridingLog !== undefined) {
    bindings.push('uniform', 'read', 'rw');
    const { params, constants } = lossLogParams(ctx, `${label}/riding log`, args.ridingLog);
    epilogue.push(params, args.ridingLog.values, args.ridingLog.log);
    perSample = constants.PER_SAMPLE;
  }
  const constants = {
    FORM: FORM_CODE[args.form],
    ACTIVATION: ACTIVATION_CODE[args.activation ?? 'linear'],
    ACCUMULATE: args.accumulate ? 1 : 0,
    ROW_SUMS: args.rowSums !== undefined ? 1 : 0,
    GATE: ACTIVATION_CODE[args.gate?.activation ?? 'linear'],
    LOSS: LOSS_CODE[l?.kind ?? 'bce'],
    OUT_ACT: ACTIVATION_CODE[l?.outputActivation ?? 'linear'],
    PER_SAMPLE: perSample,
  };
  return { bindings, resources: (sizes) => [sizes, args.a, args.b, args.c, ...(extra !== undefined ? [extra] : []), ...epilogue], suffix, constants };
}

/**
 * A family's dispatch: its entry point is matmul_<variant><suffix> in `code`, its
 * pipeline named matmul_<form>_<variant><suffix> (no suffix for the bias), and a
 * workgroup covers `tile` rows and columns of C; a riding loss log adds a row of
 * workgroups (its rider is the row's first).
 */
function familyDispatch(ctx: KernelContext, args: MatmulArgs, label: string, variant: string, code: string, tile: { rows: number; cols: number }, extra: Record<string, number> = {}): Dispatch {
  const { bindings, resources, suffix, constants } = bindingsOf(ctx, label, args);
  const spec: KernelSpec = {
    name: `matmul_${args.form}_${variant}${suffix === '_bias' ? '' : suffix}`,
    code,
    entryPoint: `matmul_${variant}${suffix}`,
    bindings,
    constants: { ...constants, ...extra },
  };
  const rows = groups(args.M, tile.rows) + (args.ridingLog !== undefined ? 1 : 0);
  return makeDispatch(ctx.cache, spec, resources(sizesUniform(ctx, label, args)), [groups(args.N, tile.cols), rows], label);
}

/** The 'tiled' family: one workgroup per 64×64 tile of C; any sizes. */
function tiledDispatch(ctx: KernelContext, args: MatmulArgs): Dispatch {
  const label = args.label ?? `matmul_${args.form}`;
  validate(ctx, args, label);
  return familyDispatch(ctx, args, label, 'tiled', MATMUL_TILED_CODE, { rows: TILE, cols: TILE });
}

/** The 'subgroup' family: one workgroup per 4 × 256 strip of C; any sizes. */
function subgroupDispatch(ctx: KernelContext, args: MatmulArgs): Dispatch {
  const label = args.label ?? `matmul_${args.form}`;
  validate(ctx, args, label);
  return familyDispatch(ctx, args, label, 'subgroup', MATMUL_SUBGROUP_CODE, { rows: BLOCK, cols: SG_WG * BLOCK }, { WG_X, WG_Y });
}

/** 'blocked' on a chosen path (tests use it to run the general path on aligned shapes). */
export function matmulDispatchOnPath(ctx: KernelContext, args: MatmulArgs, path: MatmulPath): Dispatch {
  const label = args.label ?? `matmul_${args.form}`;
  validate(ctx, args, label);
  const { form, M, N, K } = args;
  if (path === 'aligned' && !matmulAlignedOk(form, M, N, K)) {
    const dims = { nn: 'K and N', nt: 'K', tn: 'M and N' }[form];
    throw new Error(`${label}: the aligned path of '${form}' needs ${dims} to be multiples of 4 (M=${M}, N=${N}, K=${K})`);
  }
  requireOneOf(label, 'path', path, MATMUL_PATHS);
  return familyDispatch(ctx, args, label, path, MATMUL_CODE, { rows: WG_Y * BLOCK, cols: WG_X * BLOCK }, { WG_X, WG_Y });
}
