// What an experiment is: a named, sized protocol that trains the models it
// compares on the same data, seed and budget, and returns tables, figures and
// the checks of the claim it is designed to show. The command line writes
// results.json, results.md and the figures (cli/node/experiment.mjs).
import type { RgbaImage } from '../../../src/index';
import type { ImageSet } from '../data';

export const EXPERIMENT_SIZES = ['quick', 'medium', 'full'] as const;
export type ExperimentSize = (typeof EXPERIMENT_SIZES)[number];

/** How much MNIST an experiment reads (null: it makes its own data). */
export interface MnistNeed {
  train: number;
  test: number;
}

export interface ExperimentContext {
  size: ExperimentSize;
  /** The first `train`/`test` digits of MNIST, as asked for by `mnist(size)`. */
  mnist?: { train: ImageSet; test: ImageSet };
  /** A progress line. */
  say(message: string): void;
  /** An image as a PNG data URL. */
  png(image: RgbaImage): string;
}

export type Cell = string | number | null;

export interface ExperimentTable {
  title: string;
  columns: string[];
  rows: Cell[][];
  /** Printed under the table (what the columns mean, the units). */
  note?: string;
}

/** A claim the experiment is designed to show, and whether this run showed it. */
export interface ExperimentCheck {
  claim: string;
  passed: boolean;
  /** The numbers behind it. */
  measured: string;
}

export interface ExperimentResult {
  /** The settings of this size: models, data sizes, epochs, seeds. */
  settings: Record<string, unknown>;
  tables: ExperimentTable[];
  /** file name → PNG data URL. */
  figures: Record<string, string>;
  /** One line per figure, for results.md. */
  captions: Record<string, string>;
  checks: ExperimentCheck[];
  /** Anchors from the literature and what this run's numbers say about them. */
  notes: string[];
}

export interface Experiment {
  name: string;
  title: string;
  /** The question, in a sentence (the top of results.md). */
  question: string;
  mnist(size: ExperimentSize): MnistNeed | null;
  run(ctx: ExperimentContext): Promise<ExperimentResult>;
}
