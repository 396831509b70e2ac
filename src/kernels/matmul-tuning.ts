// Which matmul kernel family ('blocked', 'tiled' or, on devices with subgroups,
// 'subgroup': src/kernels/matmul.ts) each shape of a plan runs on.
//
// A MatmulTuner rides on a kernel context (MatmulContext.matmul); every
// matmulDispatch built with that context asks it. Its mode:
//  - a family name: every matmul uses it (tests, benchmarks, a known-best choice);
//  - 'tune': a shape already chosen on this adapter in this session (or imported
//    with importMatmulChoices) gets that choice at once; a new shape gets a
//    switchable dispatch that runs 'blocked' until tune() has timed every family
//    the device can run on scratch buffers of the shape (src/gpu/timing.ts: median of a few runs)
//    and switched it to the fastest. A family other than 'blocked' must be at
//    least 5% faster to win, so near-ties keep the same kernel from run to run;
//  - 'auto' (the default): 'tune' on a GPU; on a CPU fallback adapter
//    (SwiftShader) a cached choice or else 'blocked', without timing. There
//    'blocked' was measured 1.7–3.3× faster than 'tiled' on every shape of the
//    784–256–784 step (load 3.7 on 2 cores; more under heavier load), and timing
//    the step's 5 shapes from nothing took 2.4 s (8.3 s at load 6.4;
//    bench/matmul-kernels.mjs), mostly compiling and running the slow family.
// Choices are cached per adapter (vendor, architecture, device, description) and
// shape (form, M, N, K) for the session; exportMatmulChoices() gives them to a
// caller that wants to keep them across sessions.
import { BufferArena } from '../gpu/arena';
import type { KernelContext } from '../gpu/context';
import type { Dispatch, PipelineCache } from '../gpu/kernel';
import { timeDispatches, type TimingMethod } from '../gpu/timing';
import { MATMUL_KERNELS, matmulKernelAvailable, matmulKernelDispatch, type MatmulArgs, type MatmulForm, type MatmulKernel } from './matmul';

export const MATMUL_KERNEL_OPTIONS = ['auto', 'tune', ...MATMUL_KERNELS] as const;
export type MatmulKernelOption = (typeof MATMUL_KERNEL_OPTIONS)[number];

/** What was chosen for one shape, and why. */
export interface MatmulChoice {
  form: MatmulForm;
  M: number;
  N: number;
  K: number;
  kernel: MatmulKernel;
  /**
   * 'forced' by the mode; 'tuned' by this tuner; 'cached' from an earlier tuning (or an
   * import) on this adapter; 'default': 'auto' on a fallback adapter, untimed; 'pending' until tune().
   */
  source: 'forced' | 'tuned' | 'cached' | 'default' | 'pending';
  /** Median milliseconds per family, when timed in this session. */
  ms?: Partial<Record<MatmulKernel, number>>;
  method?: TimingMethod;
}

/** Saved choices: adapter key → shape key ('nn 256×784×256') → family. */
export type SavedMatmulChoices = Record<string, Record<string, MatmulKernel>>;

type Timed = Pick<MatmulChoice, 'kernel' | 'ms' | 'method'>;
const session = new Map<string, Map<string, Timed>>();

/** The adapter a device came from, as the cache's key. */
export function adapterKey(device: GPUDevice): string {
  const info = device.adapterInfo;
  if (!info) return 'unknown adapter';
  return [info.vendor, info.architecture, info.device, info.description].map((s) => s || '-').join(' | ');
}

/** A CPU implementation of WebGPU (SwiftShader and the like), where 'auto' does not time. */
export function isFallbackAdapter(device: GPUDevice): boolean {
  const info = device.adapterInfo;
  if (!info) return false;
  return info.isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe/i.test(`${info.architecture} ${info.description}`);
}

function shapeKey(s: { form: MatmulForm; M: number; N: number; K: number }): string {
  return `${s.form} ${s.M}×${s.N}×${s.K}`;
}

function parseShapeKey(key: string): { form: MatmulForm; M: number; N: number; K: number } | undefined {
  const m = /^(nn|nt|tn) (\d+)×(\d+)×(\d+)$/.exec(key);
  return m ? { form: m[1] as MatmulForm, M: Number(m[2]), N: Number(m[3]), K: Number(m[4]) } : undefined;
}

/** Every choice made in this session, for saving. */
export function exportMatmulChoices(): SavedMatmulChoices {
  const out: SavedMatmulChoices = {};
  for (const [adapter, shapes] of session) out[adapter] = Object.fromEntries([...shapes].map(([k, v]) => [k, v.kernel]));
  return out;
}

/** Add saved choices to this session's cache (they win over nothing: shapes already chosen keep their choice). */
export function importMatmulChoices(saved: SavedMatmulChoices): void {
  const what = 'importMatmulChoices';
  if (typeof saved !== 'object' || saved === null) throw new TypeError(`${what}: expected an object {adapter: {shape: kernel}}, got ${String(saved)}`);
  for (const [adapter, shapes] of Object.entries(saved)) {
    if (typeof shapes !== 'object' || shapes === null) throw new TypeError(`${what}: adapter "${adapter}" must map shapes to kernels, got ${String(shapes)}`);
    for (const [key, kernel] of Object.entries(shapes)) {
      if (!parseShapeKey(key)) throw new TypeError(`${what}: shape "${key}" of adapter "${adapter}" is not like "nn 256×784×256" (form M×N×K)`);
      if (!(MATMUL_KERNELS as readonly string[]).includes(kernel)) throw new TypeError(`${what}: kernel of "${key}" must be one of ${MATMUL_KERNELS.join(', ')}, got "${kernel}"`);
    }
  }
  for (const [adapter, shapes] of Object.entries(saved)) {
    let m = session.get(adapter);
    if (!m) session.set(adapter, (m = new Map()));
    for (const [key, kernel] of Object.entries(shapes)) if (!m.has(key)) m.set(key, { kernel });
  }
}

/** Forget this session's choices (tests). */
export function clearMatmulChoices(): void {
  session.clear();
}

/** A dispatch whose kernel family can be switched after the plan holding it was built. */
class SwitchableDispatch implements Dispatch {
  private readonly built = new Map<MatmulKernel, Dispatch>();
  private current: Dispatch;
  constructor(
    private readonly build: (kernel: MatmulKernel) => Dispatch,
    kernel: MatmulKernel,
  ) {
    this.current = this.variant(kernel);
  }
  private variant(kernel: MatmulKernel): Dispatch {
    let d = this.built.get(kernel);
    if (!d) this.built.set(kernel, (d = this.build(kernel)));
    return d;
  }
  use(kernel: MatmulKernel): void {
    this.current = this.variant(kernel);
  }
  get label(): string {
    return this.current.label;
  }
  get pipeline(): GPUComputePipeline {
    return this.current.pipeline;
  }
  get bindGroup(): GPUBindGroup {
    return this.current.bindGroup;
  }
  get workgroups(): readonly [number, number, number] {
    return this.current.workgroups;
  }
}

/** How much faster than 'blocked' another family must be to be chosen. */
const MARGIN = 0.95;

export class MatmulTuner {
  readonly adapter: string;
  /** Whether new shapes are timed ('tune', or 'auto' on a GPU). */
  readonly timing: boolean;
  private readonly chosen = new Map<string, MatmulChoice>();
  private readonly pending = new Map<string, SwitchableDispatch[]>();

  readonly device: GPUDevice;
  constructor(
    /** Where the timed pipelines come from (the plan's cache, so they are compiled once). */
    private readonly cache: PipelineCache,
    readonly mode: MatmulKernelOption,
    /** Timed runs per family and shape. */
    readonly reps = 3,
  ) {
    if (!(MATMUL_KERNEL_OPTIONS as readonly string[]).includes(mode)) {
      throw new TypeError(`matmulKernel must be one of ${MATMUL_KERNEL_OPTIONS.join(', ')}, got ${JSON.stringify(mode)}`);
    }
    this.device = cache.device;
    this.adapter = adapterKey(this.device);
    this.timing = mode === 'tune' || (mode === 'auto' && !isFallbackAdapter(this.device));
  }

  /** The dispatch for `args` (already validated by matmulDispatch) on this tuner's choice. */
  dispatch(ctx: KernelContext, args: MatmulArgs): Dispatch {
    const key = shapeKey(args);
    const shape = { form: args.form, M: args.M, N: args.N, K: args.K };
    if (this.mode !== 'auto' && this.mode !== 'tune') {
      this.chosen.set(key, { ...shape, kernel: this.mode, source: 'forced' });
      return matmulKernelDispatch(ctx, args, this.mode);
    }
    const known = this.chosen.get(key) ?? this.cached(key) ?? (this.timing ? undefined : { ...shape, kernel: 'blocked' as const, source: 'default' as const });
    if (known && known.source !== 'pending') {
      if (!this.chosen.has(key)) this.chosen.set(key, known);
      return matmulKernelDispatch(ctx, args, known.kernel);
    }
    const d = new SwitchableDispatch((kernel) => matmulKernelDispatch(ctx, args, kernel), 'blocked');
    this.chosen.set(key, { ...shape, kernel: 'blocked', source: 'pending' });
    let list = this.pending.get(key);
    if (!list) this.pending.set(key, (list = []));
    list.push(d);
    return d;
  }

  private cached(key: string): MatmulChoice | undefined {
    const hit = session.get(this.adapter)?.get(key);
    const shape = parseShapeKey(key);
    // A choice this device cannot run (a host app's device without subgroups, on the same adapter) is ignored.
    return hit && shape && matmulKernelAvailable(this.device, hit.kernel) ? { ...shape, ...hit, source: 'cached' } : undefined;
  }

  /** Shapes waiting for tune(). */
  get untuned(): number {
    return this.pending.size;
  }

  /** Time every family on each pending shape and switch its dispatches to the fastest. */
  async tune(): Promise<void> {
    for (const [key, dispatches] of [...this.pending]) {
      const shape = this.chosen.get(key)!;
      const hit = this.cached(key); // another tuner may have timed it meanwhile
      const choice: MatmulChoice = hit ?? { ...shape, ...(await this.time(shape)), source: 'tuned' };
      if (!hit) {
        let m = session.get(this.adapter);
        if (!m) session.set(this.adapter, (m = new Map()));
        m.set(key, { kernel: choice.kernel, ms: choice.ms, method: choice.method });
      }
      for (const d of dispatches) d.use(choice.kernel);
      this.chosen.set(key, choice);
      this.pending.delete(key);
    }
  }

  /** Each family's median time on scratch operands of this shape; the fastest (with the margin for 'blocked'). */
  private async time(s: { form: MatmulForm; M: number; N: number; K: number }): Promise<Timed> {
    const arena = new BufferArena(this.device, `matmul tuning ${shapeKey(s)}`);
    try {
      const ctx: KernelContext = { device: this.device, cache: this.cache, arena };
      const args: MatmulArgs = { ...s, a: arena.storage('a', s.M * s.K * 4), b: arena.storage('b', s.N * s.K * 4), c: arena.storage('c', s.M * s.N * 4), label: `tune ${shapeKey(s)}` };
      const ms: Partial<Record<MatmulKernel, number>> = {};
      let method: TimingMethod = 'submit';
      const candidates = MATMUL_KERNELS.filter((k) => matmulKernelAvailable(this.device, k));
      for (const kernel of candidates) {
        const t = await timeDispatches(this.device, [matmulKernelDispatch(ctx, args, kernel)], this.reps, `tune ${kernel} ${shapeKey(s)}`);
        ms[kernel] = t.ms;
        method = t.method;
      }
      // The fastest of the families that beat 'blocked' by the margin, else 'blocked'.
      let kernel: MatmulKernel = 'blocked';
      for (const k of candidates) if (k !== 'blocked' && ms[k]! < MARGIN * ms.blocked! && (kernel === 'blocked' || ms[k]! < ms[kernel]!)) kernel = k;
      return { kernel, ms, method };
    } finally {
      arena.dispose();
    }
  }

  /** Every shape this tuner's dispatches were built for, with its kernel (sorted by form, then shape). */
  choices(): MatmulChoice[] {
    return [...this.chosen.values()].sort((a, b) => a.form.localeCompare(b.form) || a.M - b.M || a.N - b.N || a.K - b.K);
  }
}
