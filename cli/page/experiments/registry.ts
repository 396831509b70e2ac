// Every experiment of `webgpu-autoencoders experiment <name>`, by name.
import { bottleneckExperiment } from './bottleneck';
import { contractionExperiment } from './contraction';
import type { Experiment } from './experiment';
import { featuresExperiment } from './features';
import { filtersExperiment } from './filters';
import { overcompleteExperiment } from './overcomplete';
import { stackedExperiment } from './stacked';

export const EXPERIMENTS: Record<string, Experiment> = Object.fromEntries([filtersExperiment, bottleneckExperiment, contractionExperiment, featuresExperiment, stackedExperiment, overcompleteExperiment].map((e) => [e.name, e]));
