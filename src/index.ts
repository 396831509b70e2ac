// webgpu-autoencoders: the public API.
// The declarations use WebGPU's types (GPUDevice, GPUBuffer, …): the directive
// below is kept in the emitted index.d.ts so a consumer's compiler loads them.
/// <reference types="@webgpu/types" preserve="true" />
export { acquireGpu, DeviceLostError, WebGpuUnavailableError, type Gpu, type GpuOptions } from './gpu/device';
export { liveGpuMemory } from './gpu/arena';
export { Autoencoder, createAutoencoder, createClassifier, type ClassifierOptions } from './autoencoder';
export { AutoencoderModel, type CreateOptions, type Evaluation, type ClassifierEvaluation, type Prediction } from './model/autoencoder';
export { OBJECTIVE, type LossComponents } from './model/objective';
export { ConfigError, resolveConfig, type AutoencoderConfig, type ResolvedConfig, type InputNoise, type Sparsity, type LossKind, type Variational, type ClassifierConfig, type ResolvedClassifier, MAX_LAYERS, MAX_CLASSES, NO_REGULARISERS } from './model/config';
export { architecture, type Architecture, type DenseLayer } from './model/architecture';
export { Trainer } from './train/trainer';
export { TrainingDivergedError, type TrainerOptions, type FitOptions, type Progress, type EpochRecord, type StepLoss, type TrainerState, type EarlyStopping, type EarlyStoppingState } from './train/options';
export { validateSchedule, scheduledLearningRate, SCHEDULE_TYPES, type LearningRateSchedule, type ResolvedSchedule } from './train/schedule';
export type { DeviceLossEvent } from './train/recovery';
export type { ModelInput, RowRange, ToBufferOptions } from './model/embedding';
export { validateOptimizer, type OptimizerConfig } from './kernels/optimizer';
export { MATMUL_KERNELS, type MatmulKernel } from './kernels/matmul';
export { MATMUL_KERNEL_OPTIONS, exportMatmulChoices, importMatmulChoices, type MatmulKernelOption, type MatmulChoice, type SavedMatmulChoices } from './kernels/matmul-tuning';
export type { Activation } from './kernels/activations';
export { ACTIVATIONS } from './kernels/activations';
export { MAX_DATASET_PARTS, type GpuDataset, type DatasetSource } from './data/dataset';
export { parseIdx } from './data/idx';
export { loadMnist, mnistFromIdx, type Mnist, type LabelledImages } from './data/mnist';
export { activationStatistics, type ActivationStatistics } from './analysis/statistics';
export { filters, tileGrid, interleaveRows, type RgbaImage, type GridOptions } from './analysis/images';
export { saveModel, loadModel, readModelFile, resumeTrainer, ModelFileError, MODEL_FORMAT, type ModelFile, type SavedTrainingState } from './io/model-file';
export { encodeSafetensors, decodeSafetensors, SafetensorsError, type SafetensorsTensor, type SafetensorsDtype } from './io/safetensors';
export { computeGradientsWithDraws, type GradientBatch, type GradientsWithDraws, type GradientDraw } from './train/gradients';
export { trainStacked, type StackedOptions, type StageOptions, type StageEvent, type StackedResult } from './train/stacked';
export { pca, pcaTruncate, pcaProject, pcaReconstruct, pcaReconstructionError, principalAngles, orthonormaliseRows, symmetricEigen, covariance, columnMeans, type Pca, type SymmetricEigen } from './analysis/pca';
export { linearProbe, probeRawPixels, probeWithPca, probeAutoencoder, probeTable, type ProbeData, type ProbeFeatures, type ProbeOptions, type PcaProbeOptions, type ProbeResult } from './analysis/probe';
export { project2d, scatterLayout, scatterPlot, DIGIT_COLOURS, type Projection2d, type ScatterOptions, type ScatterPoint } from './analysis/projection';
export { latentGrid, interpolateCodes, normalQuantile, type LatentGridOptions } from './analysis/latent';
