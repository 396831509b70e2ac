// The experiment job: load the MNIST prefix the experiment asks for, run it, and
// return its result with what the command line records around it.
import { InputError, loadImageSet, type ImageSetSpec } from '../data';
import { EXPERIMENT_SIZES, type ExperimentResult, type ExperimentSize } from './experiment';
import { EXPERIMENTS } from './registry';
import type { JobHost } from '../jobs';

export interface ExperimentJob {
  name: string;
  size: ExperimentSize;
  /** The bundled MNIST (limits are set here, from the experiment's needs). */
  mnist: { train: ImageSetSpec; test: ImageSetSpec };
}

export interface ExperimentOutcome extends ExperimentResult {
  name: string;
  /** The adapter the models ran on (as the other jobs report it). */
  adapter: { vendor: string; architecture: string; description: string; isFallbackAdapter: boolean | null } | null;
  title: string;
  question: string;
  size: ExperimentSize;
  seconds: number;
}

export async function runExperiment(j: ExperimentJob, host: JobHost): Promise<ExperimentOutcome> {
  const say = (message: string) => host.report({ kind: 'status', message });
  const e = EXPERIMENTS[j.name];
  if (!e) throw new InputError(`unknown experiment "${j.name}"; experiments: ${Object.keys(EXPERIMENTS).join(', ')}`);
  if (!EXPERIMENT_SIZES.includes(j.size)) throw new InputError(`--size must be one of ${EXPERIMENT_SIZES.join(', ')} (got ${JSON.stringify(j.size)})`);
  const t0 = performance.now();
  const need = e.mnist(j.size);
  const mnist = need
    ? { train: await loadImageSet({ ...j.mnist.train, limit: need.train }, 'training', host.readFile), test: await loadImageSet({ ...j.mnist.test, limit: need.test }, 'test', host.readFile) }
    : undefined;
  const result = await e.run({ size: j.size, mnist, say, png: (image) => host.png(image) });
  return { name: e.name, title: e.title, question: e.question, size: j.size, adapter: await adapterInfo(), ...result, seconds: (performance.now() - t0) / 1000 };
}

/** The default adapter's info: the one every model of the experiment gets (createAutoencoder without a device). */
async function adapterInfo(): Promise<ExperimentOutcome['adapter']> {
  const info = (await navigator.gpu?.requestAdapter())?.info;
  return info ? { vendor: info.vendor, architecture: info.architecture, description: info.description, isFallbackAdapter: (info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? null } : null;
}
