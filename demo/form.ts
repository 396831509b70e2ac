// The settings form: fill it from a preset, read it back as Settings, show
// only the fields the chosen options use, and put validation messages next to
// their fields. The markup lives in index.html; ids match the Settings fields.
import { ACTIVATIONS, type Activation, type InputNoise, type LossKind, type OptimizerConfig, type Sparsity } from '../src/index';
import { PRESETS, cloneSettings, presetById, type Settings } from './presets';
import { parseSizes, type Errors } from './validation';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo: #${id} is missing from index.html`);
  return el as T;
};
const input = (id: string) => $<HTMLInputElement>(id);
const select = (id: string) => $<HTMLSelectElement>(id);

/** An empty or unparsable number field reads as NaN, which the validators report. */
function num(id: string): number {
  const v = input(id).value.trim();
  return v === '' ? NaN : Number(v);
}

function setNum(id: string, v: number | undefined, fallback: number): void {
  input(id).value = String(v ?? fallback);
}

export class SettingsForm {
  readonly form = $<HTMLFormElement>('settings');
  readonly preset = select('preset');
  /** Values the noise/sparsity fields had, kept while their type is 'none' so switching back restores them. */
  private lastNoise = { masking: 0.3, gaussian: 0.3, 'salt-and-pepper': 0.2 } as Record<string, number>;

  constructor(private readonly onChange: () => void) {
    for (const p of PRESETS) this.preset.add(new Option(p.label, p.id));
    for (const id of ['encoderActivation', 'decoderActivation']) {
      for (const a of ACTIVATIONS) select(id).add(new Option(a, a));
    }
    this.preset.addEventListener('change', () => this.applyPreset(this.preset.value));
    select('noiseType').addEventListener('change', () => {
      const t = select('noiseType').value;
      if (t !== 'none') input('noiseLevel').value = String(this.lastNoise[t]);
    });
    input('noiseLevel').addEventListener('change', () => {
      const t = select('noiseType').value;
      if (t !== 'none' && Number.isFinite(num('noiseLevel'))) this.lastNoise[t] = num('noiseLevel');
    });
    this.form.addEventListener('input', () => this.changed());
    this.form.addEventListener('change', () => this.changed());
    this.form.addEventListener('submit', (e) => e.preventDefault());
  }

  /** Re-validate and update the visible fields (after write()). */
  changed(): void {
    this.updateVisibility();
    this.onChange();
  }

  applyPreset(id: string): void {
    const p = presetById(id) ?? PRESETS[0];
    this.preset.value = p.id;
    $('preset-summary').textContent = p.summary;
    this.write(cloneSettings(p.settings));
    this.changed();
  }

  write(s: Settings): void {
    const m = s.model;
    input('hiddenSize').value = (m.hiddenSizes ?? [m.hiddenSize ?? 128]).join(', ');
    select('encoderActivation').value = m.encoderActivation ?? 'sigmoid';
    select('decoderActivation').value = m.decoderActivation ?? 'sigmoid';
    select('loss').value = m.loss ?? ((m.decoderActivation ?? 'sigmoid') === 'sigmoid' ? 'bce' : 'mse');
    input('tiedWeights').checked = m.tiedWeights ?? false;
    setNum('weightDecay', m.weightDecay, 0);
    const noise = m.noise ?? { type: 'none' };
    select('noiseType').value = noise.type;
    if (noise.type !== 'none') this.lastNoise[noise.type] = noise.type === 'gaussian' ? noise.stddev : noise.rate;
    input('noiseLevel').value = noise.type === 'none' ? '' : String(this.lastNoise[noise.type]);
    setNum('dropout', m.dropout, 0);
    const sp = m.sparsity ?? { type: 'none' };
    select('sparsityType').value = sp.type;
    setNum('l1Lambda', sp.type === 'l1' ? sp.lambda : undefined, 0.05);
    setNum('klRho', sp.type === 'kl' ? sp.rho : undefined, 0.05);
    setNum('klBeta', sp.type === 'kl' ? sp.beta : undefined, 3);
    setNum('contractive', m.contractive, 0);
    const vae = m.variational === true ? {} : m.variational || undefined;
    input('variational').checked = !!m.variational;
    setNum('vaeBeta', vae?.beta, 1);
    setNum('vaeWarmup', vae?.warmupSteps, 0);
    setNum('pretrainEpochs', s.pretrainEpochs, 0);
    const o = s.optimizer;
    select('optimizerType').value = o.type;
    setNum('learningRate', o.learningRate, 1e-3);
    setNum('momentum', o.type === 'momentum' ? o.momentum : undefined, 0.9);
    setNum('batchSize', s.batchSize, 128);
    setNum('epochs', s.epochs, 5);
    setNum('trainSamples', s.trainSamples, 60000);
    setNum('evalSamples', s.evalSamples, 2000);
    setNum('seed', m.seed, 1);
  }

  read(): Settings {
    const noiseType = select('noiseType').value as InputNoise['type'];
    const level = num('noiseLevel');
    const noise: InputNoise =
      noiseType === 'none' ? { type: 'none' } : noiseType === 'gaussian' ? { type: 'gaussian', stddev: level } : { type: noiseType, rate: level };
    const spType = select('sparsityType').value as Sparsity['type'];
    const sparsity: Sparsity =
      spType === 'l1' ? { type: 'l1', lambda: num('l1Lambda') } : spType === 'kl' ? { type: 'kl', rho: num('klRho'), beta: num('klBeta') } : { type: 'none' };
    const optType = select('optimizerType').value as OptimizerConfig['type'];
    const lr = num('learningRate');
    const optimizer: OptimizerConfig =
      optType === 'momentum' ? { type: 'momentum', learningRate: lr, momentum: num('momentum') } : { type: optType, learningRate: lr };
    return {
      model: {
        hiddenSizes: parseSizes(input('hiddenSize').value),
        encoderActivation: select('encoderActivation').value as Activation,
        decoderActivation: select('decoderActivation').value as Activation,
        loss: select('loss').value as LossKind,
        tiedWeights: input('tiedWeights').checked,
        weightDecay: num('weightDecay'),
        noise,
        dropout: num('dropout'),
        sparsity,
        contractive: num('contractive'),
        variational: input('variational').checked ? { beta: num('vaeBeta'), warmupSteps: num('vaeWarmup') } : false,
        seed: num('seed'),
      },
      optimizer,
      batchSize: num('batchSize'),
      epochs: num('epochs'),
      trainSamples: num('trainSamples'),
      evalSamples: num('evalSamples'),
      pretrainEpochs: num('pretrainEpochs'),
    };
  }

  /** Hide the inputs of options that are off (noise level without noise, KL fields without KL, …). */
  updateVisibility(): void {
    const noise = select('noiseType').value;
    const sparsity = select('sparsityType').value;
    const shown: Record<string, boolean> = {
      noise: noise !== 'none',
      l1: sparsity === 'l1',
      kl: sparsity === 'kl',
      momentum: select('optimizerType').value === 'momentum',
      vae: input('variational').checked,
      // Greedy pretraining stacks plain layers: a deep, non-variational model.
      deep: parseSizes(input('hiddenSize').value).length > 1 && !input('variational').checked,
    };
    for (const el of this.form.querySelectorAll<HTMLElement>('[data-show]')) el.hidden = !shown[el.dataset.show!];
    $('noiseLevel-label').textContent = noise === 'gaussian' ? 'Noise σ' : 'Noise rate (fraction of pixels)';
  }

  /** Show each message under its field (and mark the field invalid); clear the others. */
  showErrors(errors: Errors): void {
    for (const msg of this.form.querySelectorAll<HTMLElement>('.msg')) {
      const id = msg.id.replace(/-msg$/, '');
      const text = errors[id] ?? '';
      msg.textContent = text;
      const field = document.getElementById(id);
      if (field) {
        if (text) field.setAttribute('aria-invalid', 'true');
        else field.removeAttribute('aria-invalid');
        field.setAttribute('aria-describedby', msg.id);
      }
      msg.closest('.field')?.classList.toggle('invalid', text !== '');
      // A message about a hidden field would be invisible: show the field.
      if (text) (msg.closest('.field') as HTMLElement | null)?.removeAttribute('hidden');
    }
  }

  setDisabled(disabled: boolean): void {
    for (const el of this.form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')) el.disabled = disabled;
  }
}
