// The Compare view's page side: the variant check boxes and settings (checked as
// they are typed, messages shown), the Compare and Stop buttons, the shared test
// digits, and one column per variant (filters, reconstructions, numbers), filled
// in as each variant finishes. The runs themselves are demo/compare.ts.
import type { Gpu, Mnist } from '../src/index';
import { COMPARABLE, COMPARE_DEFAULTS, Comparison, MAX_VARIANTS, MIN_VARIANTS, validateCompare, type CompareSettings, type VariantResult } from './compare';
import { digitStrip, drawImage, filterGrid } from './pictures';
import { formatNumber } from './plots';
import { SHOWN_DIGITS } from './validation';

export interface CompareHooks {
  gpu(): Gpu | undefined;
  mnist(): Mnist | undefined;
  /** Why the page cannot start a comparison now (a single run or fine-tuning in progress), or undefined. */
  blocked(): string | undefined;
  /** A comparison started (true) or ended (false). */
  busy(running: boolean): void;
  /** Each variant's numbers as it finishes, and the end state (for tests/e2e/demo.e2e.ts). */
  report(state: 'running' | 'done' | 'stopped' | 'failed', results: VariantResult[]): void;
  error(message: string): void;
}

const el = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const NUMBER_FIELDS = ['hiddenSize', 'trainSamples', 'testSamples', 'epochs', 'batchSize', 'seed', 'fineTuneEpochs', 'maskingRate'] as const;

export function setUpCompareView(hooks: CompareHooks): { refresh(): void } {
  const start = el<HTMLButtonElement>('compare-start');
  const stop = el<HTMLButtonElement>('compare-stop');
  const picks = el<HTMLFieldSetElement>('cmp-variants');
  const columns = el('cmp-columns');
  const statusLine = el('compare-status');
  let comparison: Comparison | undefined;
  /** How the last comparison ended, kept in the status line until the next one. */
  let outcome: string | undefined;

  for (const p of COMPARABLE) {
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = p.id;
    box.checked = COMPARE_DEFAULTS.variants.includes(p.id);
    label.title = p.summary;
    label.append(box, ` ${p.label}`);
    picks.append(label);
  }
  for (const f of NUMBER_FIELDS) el<HTMLInputElement>(`cmp-${f}`).value = String(COMPARE_DEFAULTS[f]);

  const number = (f: (typeof NUMBER_FIELDS)[number]) => {
    const v = el<HTMLInputElement>(`cmp-${f}`).value.trim();
    return v === '' ? NaN : Number(v);
  };
  function read(): CompareSettings {
    const variants = [...picks.querySelectorAll<HTMLInputElement>('input:checked')].map((b) => b.value);
    return { ...(Object.fromEntries(NUMBER_FIELDS.map((f) => [f, number(f)])) as Omit<CompareSettings, 'variants'>), variants };
  }

  /** Show the settings' problems (each field marked); true when there are none. */
  function check(): boolean {
    const errors = validateCompare(read());
    el('cmp-variants-msg').textContent = errors.variants ?? '';
    el('cmp-fields-msg').textContent = NUMBER_FIELDS.filter((f) => errors[f]).map((f) => errors[f]).join('; ');
    for (const f of NUMBER_FIELDS) {
      const input = el<HTMLInputElement>(`cmp-${f}`);
      if (errors[f]) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
    return Object.keys(errors).length === 0;
  }

  function refresh(): void {
    const valid = check();
    const why = hooks.blocked();
    const running = comparison !== undefined;
    start.disabled = running || !hooks.gpu() || !hooks.mnist() || !valid || why !== undefined;
    start.title = !valid ? 'Fix the settings marked in red first' : (why ?? '');
    stop.disabled = !running || comparison!.stopped;
    for (const input of el('compare-view').querySelectorAll<HTMLInputElement>('fieldset input, #cmp-fields input')) input.disabled = running;
    // Past MAX_VARIANTS the message says so; the boxes stay clickable so a pick can be swapped.
    if (!running) {
      const idle = hooks.mnist() ? `Pick ${MIN_VARIANTS}–${MAX_VARIANTS} variants and press Compare.` : 'Loading MNIST…';
      statusLine.textContent = why ? `${why}; the comparison can start once it ends.` : (outcome ?? idle);
    }
  }

  function setProgress(fraction: number, text: string): void {
    const p = Math.round(fraction * 1000) / 10;
    el('compare-progress-fill').style.width = `${p}%`;
    el('compare-progress').setAttribute('aria-valuenow', String(p));
    el('compare-progress-text').textContent = text;
  }

  el('compare-view').addEventListener('input', () => refresh());
  el('compare-view').addEventListener('change', () => refresh());

  start.addEventListener('click', async () => {
    const gpu = hooks.gpu();
    const mnist = hooks.mnist();
    const settings = read();
    if (!gpu || !mnist || comparison || hooks.blocked() || !check()) return;
    const c = new Comparison(gpu, mnist, settings, {
      phase: (i, text, fraction) => {
        setProgress(fraction, `variant ${i + 1} of ${settings.variants.length} · ${text}`);
        columnOf(i).querySelector('.cmp-state')!.textContent = text;
      },
      result: (i, r) => {
        results.push(r);
        fillColumn(columnOf(i), r, settings.hiddenSize);
        hooks.report('running', results);
      },
    });
    const results: VariantResult[] = [];
    comparison = c;
    drawImage(el<HTMLCanvasElement>('cmp-original'), digitStrip(c.originals, SHOWN_DIGITS));
    drawImage(el<HTMLCanvasElement>('cmp-corrupted'), digitStrip(c.corrupted, SHOWN_DIGITS));
    el('cmp-digits-note').textContent = `The first ${SHOWN_DIGITS} test digits with ${pct(settings.maskingRate)} of their pixels set to 0 (seed ${settings.seed}); each variant below reconstructs the masked row.`;
    columns.replaceChildren(...settings.variants.map((id) => emptyColumn(COMPARABLE.find((p) => p.id === id)!.label)));
    statusLine.textContent = `Training ${settings.variants.length} variants in turn: ${settings.trainSamples} digits, ${settings.epochs} epoch(s), batches of ${settings.batchSize}, ${settings.hiddenSize} hidden units, seed ${settings.seed}.`;
    hooks.busy(true);
    hooks.report('running', results);
    refresh();
    let state: 'done' | 'stopped' | 'failed' = 'failed';
    try {
      state = await c.run();
      outcome = state === 'done' ? 'Done: every variant was trained and measured on the same data.' : `Stopped after ${results.length} of ${settings.variants.length} variants.`;
      setProgress(state === 'done' ? 1 : results.length / settings.variants.length, state);
    } catch (e) {
      outcome = `The comparison failed: ${(e as Error).message}`;
      hooks.error((e as Error).message);
    } finally {
      comparison = undefined;
      hooks.report(state, results);
      hooks.busy(false);
      refresh();
    }
  });
  stop.addEventListener('click', () => {
    comparison?.stop();
    statusLine.textContent = 'Stopping after the current steps…';
    refresh();
  });

  const columnOf = (i: number) => columns.children[i] as HTMLElement;
  refresh();
  return { refresh };
}

/** A variant's column before its results: its name and what it is doing. */
function emptyColumn(label: string): HTMLElement {
  const col = document.createElement('section');
  col.className = 'panel compare-column';
  col.innerHTML = `
    <h3 class="cmp-name"></h3>
    <p class="hint cmp-state">waiting</p>
    <h4 class="sub">Reconstructions of the masked digits</h4>
    <canvas class="pixels cmp-recon" width="291" height="30" aria-label="reconstructions of the masked test digits"></canvas>
    <h4 class="sub">Filters</h4>
    <canvas class="pixels cmp-filters" width="291" height="117" aria-label="encoder filters"></canvas>
    <dl class="stats cmp-stats">
      <div><dt>held-out loss</dt><dd data-measure="loss">–</dd></div>
      <div><dt>mean ‖J‖<sub>F</sub></dt><dd data-measure="jacobian">–</dd></div>
      <div><dt>linear probe</dt><dd data-measure="probe">–</dd></div>
      <div><dt>fine-tuned</dt><dd data-measure="finetuned">–</dd></div>
    </dl>`;
  col.querySelector('.cmp-name')!.textContent = label;
  return col;
}

function fillColumn(col: HTMLElement, r: VariantResult, hidden: number): void {
  drawImage(col.querySelector<HTMLCanvasElement>('.cmp-recon')!, digitStrip(r.reconstructions, SHOWN_DIGITS));
  drawImage(col.querySelector<HTMLCanvasElement>('.cmp-filters')!, filterGrid(r.encoderWeight, hidden));
  const put = (measure: string, text: string) => (col.querySelector(`[data-measure="${measure}"]`)!.textContent = text);
  put('loss', formatNumber(r.heldOutLoss));
  put('jacobian', formatNumber(r.jacobianNorm));
  put('probe', pct(r.probeAccuracy));
  put('finetuned', pct(r.fineTunedAccuracy));
  col.querySelector('.cmp-state')!.textContent = `done in ${r.seconds.toFixed(1)} s`;
}
