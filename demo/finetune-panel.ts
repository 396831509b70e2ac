// The Fine-tune step after a single run: a button that fine-tunes a digit
// classifier from the trained model (demo/finetune.ts), then shows its test
// accuracy and confusion matrix (drawn by cli/page/confusion.ts, the same picture
// as the command line's confusion.png). The model is the run's; the classifier
// made from it is disposed once measured, so the run's model can still be saved.
import type { Autoencoder, ClassifierEvaluation, Mnist } from '../src/index';
import { confusionImage } from '../cli/page/confusion';
import { fineTune, fineTuneErrors } from './finetune';
import { drawImage } from './pictures';

export interface FineTuneHooks {
  /** The trained model, its batch size and held-out digits, when fine-tuning is possible now (a run ended). */
  source(): { model: Autoencoder; batchSize: number; testCount: number } | undefined;
  mnist(): Mnist | undefined;
  /** Fine-tuning started (true) or ended (false): the page locks its other runs meanwhile. */
  busy(running: boolean): void;
  done(evaluation: ClassifierEvaluation, trainCount: number): void;
  error(message: string): void;
}

const el = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function setUpFineTune(hooks: FineTuneHooks): { refresh(): void; reset(): void } {
  const button = el<HTMLButtonElement>('finetune');
  const trainField = el<HTMLInputElement>('ft-train');
  const epochsField = el<HTMLInputElement>('ft-epochs');
  const message = el('ft-msg');
  const accuracy = el('ft-accuracy');
  const canvas = el<HTMLCanvasElement>('confusion');
  const note = el('ft-note');
  const defaultNote = note.textContent ?? '';
  let running = false;

  const read = () => ({ trainCount: Number(trainField.value || NaN), epochs: Number(epochsField.value || NaN) });
  /** The first problem with the fields, or '' (the batch size is the run's, capped at the labelled digits). */
  function problem(): string {
    const src = hooks.source();
    const mnist = hooks.mnist();
    if (!src || !mnist) return '';
    const { trainCount, epochs } = read();
    const errors = fineTuneErrors({ trainCount, epochs, batchSize: Math.min(src.batchSize, trainCount) }, mnist.train.count);
    return Object.values(errors)[0] ?? '';
  }

  button.addEventListener('click', async () => {
    const src = hooks.source();
    const mnist = hooks.mnist();
    if (!src || !mnist || running || problem()) return;
    const { trainCount, epochs } = read();
    running = true;
    hooks.busy(true);
    refresh();
    accuracy.textContent = '…';
    try {
      const r = await fineTune(src.model, mnist, {
        trainCount,
        testCount: src.testCount,
        epochs,
        batchSize: Math.min(src.batchSize, trainCount),
        onProgress: (f) => (note.textContent = `Fine-tuning… ${Math.round(100 * f)}%`),
      });
      accuracy.textContent = pct(r.evaluation.accuracy);
      drawImage(canvas, confusionImage(r.evaluation.confusion));
      canvas.hidden = false;
      note.textContent =
        `The trained encoder plus a 10-way softmax head, trained end to end for ${epochs} epoch(s) on ${trainCount} labelled digits ` +
        `(${r.seconds.toFixed(1)} s), tested on ${r.evaluation.count} held-out digits. Rows: true digit; columns: predicted.`;
      hooks.done(r.evaluation, trainCount);
    } catch (e) {
      accuracy.textContent = '–';
      note.textContent = defaultNote;
      hooks.error((e as Error).message);
    } finally {
      running = false;
      hooks.busy(false);
      refresh();
    }
  });
  for (const f of [trainField, epochsField]) f.addEventListener('input', () => refresh());

  function refresh(): void {
    const p = problem();
    message.textContent = p;
    button.disabled = running || !hooks.source() || p !== '';
    trainField.disabled = epochsField.disabled = running;
  }

  /** A new run: the last result no longer describes the model. */
  function reset(): void {
    accuracy.textContent = '–';
    canvas.hidden = true;
    note.textContent = defaultNote;
    refresh();
  }
  refresh();
  return { refresh, reset };
}
