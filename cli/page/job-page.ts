// The page the command-line jobs run in (headless Chromium, driven by
// cli/node/run-job.mjs): the jobs of jobs.ts as window functions, with the
// page's JobHost. Files come from the CLI's file server (FileRef.url); progress
// and checkpoints go to Node through functions it exposes; pictures become PNG
// data URLs through a canvas.
import type { RgbaImage } from '../../src/index';
import { fetchFile } from './data';
import { runEvalJob, runExperimentJob, runFinetuneJob, runGradJob, runTrainJob, stopTrainJob, type EvalJob, type FinetuneJob, type GradJob, type JobHost, type JobResult, type TrainJob } from './jobs';
import type { ExperimentJob } from './experiments/run';

declare global {
  interface Window {
    runTrainJob: (job: TrainJob) => Promise<JobResult>;
    runEvalJob: (job: EvalJob) => Promise<JobResult>;
    runGradJob: (job: GradJob) => Promise<JobResult>;
    runFinetuneJob: (job: FinetuneJob) => Promise<JobResult>;
    runExperimentJob: (job: ExperimentJob) => Promise<JobResult>;
    /** Ask the running train job to stop: it abandons the current epoch and resolves with the last epoch's checkpoint. */
    stopTrainJob: () => void;
    reportProgress?: (event: Record<string, unknown>) => void;
    /** Node writes the checkpoint (base64 safetensors) atomically; resolves once it is on disk. */
    writeCheckpoint?: (base64: string, epoch: number) => Promise<void>;
  }
}

function png(img: RgbaImage): string {
  const canvas = document.createElement('canvas');
  canvas.width = img.width;
  canvas.height = img.height;
  canvas.getContext('2d')!.putImageData(new ImageData(img.data, img.width, img.height), 0, 0);
  return canvas.toDataURL('image/png');
}

const host: JobHost = {
  report: (event) => window.reportProgress?.(event),
  readFile: fetchFile,
  writeCheckpoint: async (base64, epoch) => window.writeCheckpoint?.(base64, epoch),
  png,
};

window.runTrainJob = (job) => runTrainJob(job, host);
window.runEvalJob = (job) => runEvalJob(job, host);
window.runGradJob = (job) => runGradJob(job, host);
window.runFinetuneJob = (job) => runFinetuneJob(job, host);
window.runExperimentJob = (job) => runExperimentJob(job, host);
window.stopTrainJob = stopTrainJob;
