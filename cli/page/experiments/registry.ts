// Every experiment of `webgpu-autoencoders experiment <name>`, by name.
import { bottleneckExperiment } from './bottleneck';
import { contractionExperiment } from './contraction';
import type { Experiment } from './experiment';
import { filtersExperiment } from './filters';

export const EXPERIMENTS: Record<string, Experiment> = Object.fromEntries([filtersExperiment, bottleneckExperiment, contractionExperiment].map((e) => [e.name, e]));
