// Save / Load of model files (safetensors, src/io/model-file.ts).
// Save downloads the current run's weights and config; Load reads a file on the
// CPU (nothing touches the GPU until Start), fills the form with its config, and
// the next run starts from its weights.
import { readModelFile, saveModel, type ModelFile } from '../src/io/model-file';
import type { Autoencoder } from '../src/index';

export interface ModelFileHooks {
  /** The model to save, when saving is possible now (not mid-step). */
  savable(): { model: Autoencoder; name: string } | undefined;
  loaded(file: ModelFile, fileName: string): void;
  error(title: string, message: string): void;
}

const el = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export function setUpModelFiles(hooks: ModelFileHooks): { refresh(): void } {
  const save = el<HTMLButtonElement>('save');
  const load = el<HTMLButtonElement>('load');
  const picker = el<HTMLInputElement>('load-file');
  save.hidden = false;
  load.hidden = false;

  save.addEventListener('click', async () => {
    const target = hooks.savable();
    if (!target) return;
    save.disabled = true;
    try {
      const bytes = await saveModel(target.model);
      const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `${target.name}.safetensors`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      hooks.error('Could not save the model', (e as Error).message);
    } finally {
      refresh();
    }
  });

  load.addEventListener('click', () => picker.click());
  picker.addEventListener('change', async () => {
    const f = picker.files?.[0];
    picker.value = '';
    if (!f) return;
    try {
      hooks.loaded(readModelFile(new Uint8Array(await f.arrayBuffer())), f.name);
    } catch (e) {
      hooks.error(`Could not load ${f.name}`, (e as Error).message);
    }
  });

  function refresh(): void {
    save.disabled = !hooks.savable();
  }
  refresh();
  return { refresh };
}
