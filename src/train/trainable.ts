// What a trainer needs from a model: the Autoencoder's parameters, datasets,
// evaluation and device life cycle, without the class itself (src/model never
// imports src/train; the model tells its dependents about rebuilds and disposal
// through ModelDependent, and counts parameter changes in parameterVersion).
import type { AutoencoderModel } from '../model/autoencoder';

export type TrainableModel = Pick<
  AutoencoderModel,
  | 'config'
  | 'layout'
  | 'arch'
  | 'gpu'
  | 'params'
  | 'ctx'
  | 'parameterVersion'
  | 'touchParameters'
  | 'checkDataset'
  | 'datasetKey'
  | 'labelData'
  | 'evaluate'
  | 'assertAlive'
  | 'isDisposed'
  | 'replacementGpu'
  | 'rebuildOnDevice'
  | 'addDependent'
  | 'removeDependent'
  | 'codeStatisticsFitted'
>;
