// The public model class: the model of src/model/autoencoder.ts plus its trainer
// factory. It sits above src/model and src/train so that neither imports the
// other's way up (src/train depends on src/model only).
import { AutoencoderModel, type CreateOptions } from './model/autoencoder';
import type { AutoencoderConfig } from './model/config';
import { Trainer } from './train/trainer';
import type { TrainerOptions } from './train/options';

export class Autoencoder extends AutoencoderModel {
  /** A trainer for this model (its own gradients, optimizer state and batch buffers); freed with the model. */
  createTrainer(options: TrainerOptions): Trainer {
    this.assertAlive();
    return new Trainer(this, options);
  }
}

/** Build an autoencoder on a new or given GPU device. */
export function createAutoencoder(config: AutoencoderConfig, options?: CreateOptions): Promise<Autoencoder> {
  return Autoencoder.create(config, options);
}
