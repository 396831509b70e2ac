// End-to-end tests of the demo page (demo/), run by scripts/e2e.mjs against a
// production build served by `vite preview`, in headless Chromium (WebGPU on
// SwiftShader). Small settings keep each run to seconds: 32 hidden units, 2000
// training digits, batches of 50.
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright';

export interface E2eContext {
  /** URL of the built demo page. */
  url: string;
  /** A shared browser with WebGPU, or one without it. */
  browser(webgpu: boolean): Promise<Browser>;
  /** Where screenshots go (test-results/e2e). */
  screenshotDir: string;
}

export interface E2eTest {
  name: string;
  run(ctx: E2eContext): Promise<void>;
  /** Longer than scripts/e2e.mjs's default limit (120 s). */
  timeoutMs?: number;
}

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const SMALL = { hiddenSize: 32, trainSamples: 2000, evalSamples: 200, batchSize: 50, epochs: 4 };
/** Steps a run is given before its losses are compared: one epoch of SMALL. */
const MIN_STEPS = 40;

interface DemoDebug {
  state: string;
  progressEvents: number;
  pictureEvents: number;
  steps: number;
  trainLoss: number[];
  evalLoss: number[];
  stages: string[];
  vaePictureEvents: number;
  probe?: { codes: number; pixels: number };
  fineTune?: { accuracy: number; count: number; confusionTotal: number };
  compare?: { state: string; results: Array<{ id: string; heldOutLoss: number; jacobianNorm: number; probeAccuracy: number; fineTunedAccuracy: number }> };
}

/** Open the demo; collects console errors, uncaught errors and failed requests. */
async function open(
  ctx: E2eContext,
  opts: { webgpu?: boolean; viewport?: { width: number; height: number }; scale?: number; init?: () => void } = {},
) {
  const browser = await ctx.browser(opts.webgpu ?? true);
  const page = await browser.newPage({ viewport: opts.viewport ?? DESKTOP, deviceScaleFactor: opts.scale ?? 1 });
  if (opts.init) await page.addInitScript(opts.init);
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`);
  });
  await page.goto(ctx.url, { waitUntil: 'load' });
  return { page, errors };
}

const debug = (page: Page): Promise<DemoDebug> => page.evaluate(() => (window as unknown as { __demo: DemoDebug }).__demo);

async function waitForState(page: Page, states: string[], timeout = 60_000): Promise<string> {
  await page.waitForFunction((s) => s.includes((window as unknown as { __demo: DemoDebug }).__demo.state), states, { timeout });
  return (await debug(page)).state;
}

async function setField(page: Page, id: string, value: string | number): Promise<void> {
  const el = page.locator(`#${id}`);
  if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption(String(value));
  else await el.fill(String(value));
}

async function choosePreset(page: Page, preset: string, overrides: Record<string, string | number> = SMALL): Promise<void> {
  await page.locator('#preset').selectOption(preset);
  for (const [id, v] of Object.entries(overrides)) await setField(page, id, v);
}

/**
 * How much a canvas shows: the standard deviation of its grey levels and, when
 * `color` is given, how many pixels are within 40 of that colour (per channel).
 */
async function canvasInk(page: Page, id: string, color?: [number, number, number]): Promise<{ std: number; colored: number; width: number }> {
  return page.evaluate(
    ([id, color]) => {
      // A plot drawn by uPlot is a box holding its canvas.
      const el = document.getElementById(id as string)!;
      const c = (el instanceof HTMLCanvasElement ? el : el.querySelector('canvas')) as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let sum = 0;
      let sq = 0;
      let colored = 0;
      const n = d.length / 4;
      for (let k = 0; k < d.length; k += 4) {
        // Transparent pixels (the plots' background) count as white.
        const a = d[k + 3] / 255;
        const rgb = [0, 1, 2].map((i) => d[k + i] * a + 255 * (1 - a));
        const grey = (rgb[0] + rgb[1] + rgb[2]) / 3;
        sum += grey;
        sq += grey * grey;
        const col = color as number[] | null;
        if (col && rgb.every((v, i) => Math.abs(v - col[i]) < 40)) colored++;
      }
      const mean = sum / n;
      return { std: Math.sqrt(Math.max(0, sq / n - mean * mean)), colored, width: c.width };
    },
    [id, color ?? null] as const,
  );
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Train a preset with small settings and check loss, pictures and errors. */
async function trainPreset(
  ctx: E2eContext,
  preset: string,
  opts: {
    viewport?: { width: number; height: number };
    scale?: number;
    screenshot: string;
    noisy?: boolean;
    /**
     * Pause, resume and stop the run: needs a run far longer than the test (many epochs),
     * so it cannot end before each button takes effect.
     */
    pauseResumeStop?: boolean;
    /** Form fields to set instead of SMALL. */
    overrides?: Record<string, string | number>;
    /** Check the VAE pictures. */
    vae?: boolean;
    /** Deep model with greedy pretraining: check its stages. */
    stacked?: boolean;
    /** Let the run finish (or stop it) and check the linear probe's accuracy. */
    probe?: boolean;
  },
): Promise<void> {
  const { page, errors } = await open(ctx, { viewport: opts.viewport, scale: opts.scale });
  try {
    await waitForState(page, ['ready']);
    await choosePreset(page, preset, opts.overrides);
    assert.equal(await page.locator('#start').isEnabled(), true, 'Start is enabled with valid settings');
    await page.locator('#start').click();
    await page.waitForFunction(
      (minSteps: number) => {
        const d = (window as unknown as { __demo: DemoDebug }).__demo;
        // A fixed amount of training (not of wall time: chunks shrink when the machine is busy).
        return (d.progressEvents >= 6 && d.steps >= minSteps && d.evalLoss.length >= 2 && d.pictureEvents >= 2) || d.state === 'done' || d.state === 'failed';
      },
      MIN_STEPS,
      { timeout: 90_000 },
    );
    let d = await debug(page);
    assert.notEqual(d.state, 'failed', `training failed: ${await page.locator('#status').textContent()}`);
    if (opts.pauseResumeStop) {
      const settings = { ...SMALL, ...opts.overrides };
      const totalSteps = Number(settings.epochs) * Math.ceil(Number(settings.trainSamples) / Number(settings.batchSize));
      await page.locator('#pause').click();
      assert.equal(await waitForState(page, ['paused', 'done', 'failed']), 'paused', 'Pause pauses the run');
      const paused = await debug(page);
      await page.waitForTimeout(700);
      assert.equal((await debug(page)).progressEvents, paused.progressEvents, 'no progress while paused');
      assert.equal((await debug(page)).steps, paused.steps, 'no steps while paused');
      assert.equal(await page.locator('#pause').textContent(), 'Resume');
      assert.equal(await page.locator('#hiddenSize').isDisabled(), true, 'the form is locked during a run');
      await page.locator('#pause').click();
      await page.waitForFunction((n) => (window as unknown as { __demo: DemoDebug }).__demo.progressEvents > n, paused.progressEvents, { timeout: 30_000 });
      const resumed = await debug(page);
      assert.ok(resumed.steps > paused.steps, `Resume continues training (steps ${paused.steps} → ${resumed.steps})`);
      // Stop right away: a few chunks (≤ 64 steps each) later, far from the run's end.
      await page.locator('#stop').click();
      assert.equal(await waitForState(page, ['stopped', 'done', 'failed'], 60_000), 'stopped', 'Stop ends the run early');
      const stopped = await debug(page);
      assert.ok(stopped.steps < totalSteps, `the run stopped before its end (${stopped.steps} of ${totalSteps} steps)`);
      console.log(`  ${preset}: paused at step ${paused.steps}, resumed to ${resumed.steps}, stopped at ${stopped.steps} of ${totalSteps}`);
      await page.waitForTimeout(700);
      assert.equal((await debug(page)).steps, stopped.steps, 'no steps after Stop');
      assert.equal((await debug(page)).progressEvents, stopped.progressEvents, 'no progress after Stop');
    }
    // A run checked to its probe is checked on its whole loss history.
    if (opts.probe) await waitForState(page, ['done'], 90_000);
    d = await debug(page);
    const k = Math.min(3, Math.floor(d.trainLoss.length / 2));
    const early = mean(d.trainLoss.slice(0, k));
    const late = mean(d.trainLoss.slice(-k));
    console.log(
      `  ${preset}: ${d.progressEvents} progress events; training loss ${early.toFixed(2)} → ${late.toFixed(2)}; ` +
        `held-out ${d.evalLoss[0].toFixed(2)} → ${d.evalLoss[d.evalLoss.length - 1].toFixed(2)}`,
    );
    if (opts.stacked) {
      // Evaluations: fresh weights, then the pretrained stack, then fine-tuning.
      assert.deepEqual(d.stages, ['pretrain 0', 'pretrain 1'], 'both encoder layers were pretrained, in order');
      assert.ok(d.evalLoss[1] < d.evalLoss[0], `greedy pretraining lowers the held-out loss (${d.evalLoss[0]} → ${d.evalLoss[1]})`);
      assert.ok(late < early, `fine-tuning lowers the training loss (${early} → ${late})`);
    } else {
      assert.ok(late < 0.9 * early, `training loss falls by 10%+ (${early} → ${late})`);
    }
    assert.ok(d.evalLoss[d.evalLoss.length - 1] < d.evalLoss[0], `held-out loss falls (${d.evalLoss.join(', ')})`);

    // Pictures: every canvas shows something; the loss plot has its two curves.
    const plot = await canvasInk(page, 'loss-plot', [37, 99, 235]);
    const heldOut = await canvasInk(page, 'loss-plot', [220, 38, 38]);
    assert.ok(plot.colored > 50, `the loss plot shows the training curve (${plot.colored} blue pixels)`);
    assert.ok(heldOut.colored > 10, `the loss plot shows held-out points (${heldOut.colored} red pixels)`);
    const canvases = [
      'digits-original',
      'digits-reconstructed',
      'filters',
      'act-hist',
      ...(opts.noisy ? ['digits-corrupted'] : []),
      ...(opts.vae ? ['vae-samples', 'vae-map', 'vae-interp'] : []),
    ];
    for (const id of canvases) {
      const ink = await canvasInk(page, id);
      assert.ok(ink.std > 5, `#${id} is not blank (grey std ${ink.std.toFixed(1)})`);
    }
    assert.equal(await page.locator('#digits-corrupted').isVisible(), !!opts.noisy, 'the corrupted row shows exactly for denoising');
    assert.equal(await page.locator('#vae-samples').isVisible(), !!opts.vae, 'the VAE pictures show exactly for a VAE');
    if (opts.vae) {
      assert.ok(d.vaePictureEvents >= 2, `the VAE pictures were refreshed during training (${d.vaePictureEvents} times)`);
      const loss = await canvasInk(page, 'loss-plot', [22, 163, 74]);
      assert.ok(loss.colored > 30, `the loss plot shows the KL curve (${loss.colored} green pixels)`);
    }
    const speed = await page.locator('#stat-speed').textContent();
    assert.match(speed ?? '', /^[\d,]+$/, `samples/s is shown (${speed})`);
    assert.match((await page.locator('#act-stats').textContent()) ?? '', /near zero/);
    if (!opts.probe) {
      await page.screenshot({ path: `${ctx.screenshotDir}/${opts.screenshot}.png`, fullPage: true });
      if (opts.viewport === PHONE) await page.screenshot({ path: `${ctx.screenshotDir}/${opts.screenshot}-viewport.png` });
    }

    if (!opts.probe && !opts.pauseResumeStop) {
      // Clean-up, not a check: end a run that is still going. Stop is enabled only while
      // training or paused; the check and the click happen in one task of the page, so
      // the run cannot move on to its probe in between.
      await page.evaluate(() => {
        const stop = document.getElementById('stop') as HTMLButtonElement;
        if (!stop.disabled) stop.click();
      });
      await waitForState(page, ['stopped', 'done'], 60_000);
    }
    if (opts.probe) {
      const probe = (await debug(page)).probe;
      const shown = await page.locator('#probe-codes').textContent();
      console.log(`  ${preset}: linear probe test accuracy ${probe?.codes.toFixed(3)} on the codes, ${probe?.pixels.toFixed(3)} on raw pixels`);
      assert.ok(probe && probe.codes > 0.3, `the probe on the codes beats chance clearly (${probe?.codes})`);
      assert.ok(probe.pixels > 0.6, `the raw-pixel baseline is sensible (${probe.pixels})`);
      assert.equal(shown, `${(100 * probe.codes).toFixed(1)}%`, 'the probe accuracy is shown');
      await page.screenshot({ path: `${ctx.screenshotDir}/${opts.screenshot}.png`, fullPage: true });
      if (opts.viewport === PHONE) await page.screenshot({ path: `${ctx.screenshotDir}/${opts.screenshot}-viewport.png` });
    }
    assert.equal(await page.locator('#start').isEnabled(), true, 'Start is enabled again after a run');
    assert.deepEqual(errors, [], 'no console errors, uncaught errors or failed requests');
  } finally {
    await page.close();
  }
}

export const tests: E2eTest[] = [
  {
    name: 'plain: trains, pause/resume/stop, 1280×800',
    // 50 epochs (2000 steps): the test pauses, resumes and stops it after about a tenth of that.
    run: (ctx) => trainPreset(ctx, 'plain', { screenshot: 'desktop-plain', pauseResumeStop: true, overrides: { ...SMALL, epochs: 50 } }),
  },
  {
    name: 'denoising (masking): trains and shows corrupted digits',
    run: (ctx) => trainPreset(ctx, 'denoising-masking', { screenshot: 'desktop-denoising-masking', noisy: true }),
  },
  {
    name: 'contractive: trains',
    run: (ctx) => trainPreset(ctx, 'contractive', { screenshot: 'desktop-contractive' }),
  },
  {
    name: 'sparse KL: trains, 390×844 phone',
    run: (ctx) => trainPreset(ctx, 'sparse-kl', { viewport: PHONE, scale: 2, screenshot: 'phone-sparse-kl' }),
  },
  {
    name: 'VAE (2-D latent): trains, samples, latent manifold, interpolation, probe',
    run: (ctx) =>
      trainPreset(ctx, 'vae-2d', {
        screenshot: 'desktop-vae-2d',
        overrides: { ...SMALL, hiddenSize: '64, 2', epochs: 6, learningRate: 0.003 },
        vae: true,
        probe: true,
      }),
  },
  {
    name: 'VAE (20-D latent): μ projection, probe, 390×844 phone',
    run: (ctx) =>
      trainPreset(ctx, 'vae-20d', {
        viewport: PHONE,
        scale: 2,
        screenshot: 'phone-vae-20d',
        overrides: { ...SMALL, hiddenSize: '64, 8', vaeWarmup: 20, epochs: 2 },
        vae: true,
        // Run to the end: the first few chunks are single steps, too few to show a 10% fall reliably.
        probe: true,
      }),
  },
  {
    name: 'deep stacked: greedy pretraining stages, fine-tuning, probe',
    run: (ctx) =>
      trainPreset(ctx, 'deep-stacked', {
        screenshot: 'desktop-deep-stacked',
        overrides: { ...SMALL, hiddenSize: '64, 16', pretrainEpochs: 1, epochs: 2 },
        stacked: true,
        probe: true,
      }),
  },
  {
    name: 'Fine-tune after a run: test accuracy and confusion matrix',
    async run(ctx) {
      const { page, errors } = await open(ctx);
      try {
        await waitForState(page, ['ready']);
        await choosePreset(page, 'plain', { ...SMALL, epochs: 1 });
        assert.equal(await page.locator('#finetune').isDisabled(), true, 'nothing to fine-tune before a run');
        await page.locator('#start').click();
        await waitForState(page, ['done'], 60_000);
        // The loss plot (uPlot): its legend shows each curve's latest value, and the curve survives a switch to a linear axis.
        const legendTraining = await page.locator('#loss-plot .u-legend .u-series').nth(1).locator('.u-value').textContent();
        assert.equal(legendTraining, await page.locator('#stat-train').textContent(), 'the legend shows the latest training loss');
        await page.locator('#log-scale').uncheck();
        const linear = await canvasInk(page, 'loss-plot', [37, 99, 235]);
        assert.ok(linear.colored > 50, `the training curve is drawn on a linear axis too (${linear.colored} blue pixels)`);
        // A bad field names itself and blocks the button; a good one unblocks it.
        await setField(page, 'ft-epochs', 0);
        assert.match((await page.locator('#ft-msg').textContent()) ?? '', /fine-tuning epochs must be an integer in \[1, 100\] \(got 0\)/);
        assert.equal(await page.locator('#finetune').isDisabled(), true, 'Fine-tune is disabled while its settings are invalid');
        await setField(page, 'ft-epochs', 2);
        await setField(page, 'ft-train', 2000);
        assert.equal(await page.locator('#ft-msg').textContent(), '');
        await page.locator('#finetune').click();
        await page.waitForFunction(() => (window as unknown as { __demo: DemoDebug }).__demo.fineTune !== undefined, undefined, { timeout: 60_000 });
        const ft = (await debug(page)).fineTune!;
        const shown = await page.locator('#ft-accuracy').textContent();
        console.log(`  fine-tuned classifier: test accuracy ${ft.accuracy.toFixed(3)} on ${ft.count} digits (shown ${shown})`);
        // 80 steps from a one-epoch model: 0.735 measured on SwiftShader (seeded, so reproducible there).
        assert.ok(ft.accuracy > 0.5 && ft.accuracy <= 1, `the fine-tuned accuracy beats chance clearly (${ft.accuracy})`);
        assert.equal(shown, `${(100 * ft.accuracy).toFixed(1)}%`, 'the accuracy is shown');
        assert.equal(ft.count, SMALL.evalSamples, 'tested on the run\'s held-out digits');
        assert.equal(ft.confusionTotal, SMALL.evalSamples, 'the confusion matrix counts every test digit once');
        assert.equal(await page.locator('#confusion').isVisible(), true, 'the confusion matrix is shown');
        const ink = await canvasInk(page, 'confusion', [8, 48, 107]);
        assert.ok(ink.std > 5, `the confusion matrix is drawn (grey std ${ink.std.toFixed(1)})`);
        assert.ok(ink.colored > 1000, `its diagonal is dark blue (${ink.colored} pixels)`);
        assert.equal(await page.locator('#start').isEnabled(), true, 'Start is enabled again after fine-tuning');
        await page.screenshot({ path: `${ctx.screenshotDir}/desktop-fine-tune.png`, fullPage: true });
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
      }
    },
  },
  {
    name: 'Compare: two variants side by side, with ‖J‖, probe and fine-tuned accuracy',
    async run(ctx) {
      const { page, errors } = await open(ctx);
      try {
        await waitForState(page, ['ready']);
        await page.locator('#view-compare').click();
        assert.equal(await page.locator('#compare-view').isVisible(), true, 'the Compare view shows');
        assert.equal(await page.locator('#start').isVisible(), false, 'the single-run controls are hidden');
        const pick = (id: string) => page.locator(`#cmp-variants input[value="${id}"]`);
        for (const box of await page.locator('#cmp-variants input').all()) await box.uncheck();
        await pick('plain').check();
        // One variant is too few; a bad number names its field; both block Compare.
        assert.equal(await page.locator('#cmp-variants-msg').textContent(), 'pick 2 to 4 variants (1 picked)');
        assert.equal(await page.locator('#compare-start').isDisabled(), true, 'Compare is disabled with one variant');
        await pick('contractive').check();
        assert.equal(await page.locator('#cmp-variants-msg').textContent(), '');
        await setField(page, 'cmp-epochs', 0);
        assert.match((await page.locator('#cmp-fields-msg').textContent()) ?? '', /epochs must be an integer in \[1, 100\] \(got 0\)/);
        assert.equal(await page.locator('#compare-start').isDisabled(), true, 'Compare is disabled with a bad field');
        const tiny = { hiddenSize: 32, trainSamples: 2000, testSamples: 200, epochs: 2, batchSize: 50, fineTuneEpochs: 2, seed: 1, maskingRate: 0.3 };
        for (const [k, v] of Object.entries(tiny)) await setField(page, `cmp-${k}`, v);
        assert.equal(await page.locator('#cmp-fields-msg').textContent(), '');
        await page.locator('#compare-start').click();
        await page.waitForFunction(
          () => ['done', 'stopped', 'failed'].includes((window as unknown as { __demo: DemoDebug }).__demo.compare?.state ?? ''),
          undefined,
          { timeout: 100_000 },
        );
        const c = (await debug(page)).compare!;
        assert.equal(c.state, 'done', `the comparison ran to its end: ${await page.locator('#compare-status').textContent()}`);
        assert.deepEqual(c.results.map((r) => r.id), ['plain', 'contractive'], 'both variants, in the order picked');
        for (const r of c.results) {
          console.log(
            `  ${r.id}: held-out loss ${r.heldOutLoss.toFixed(2)}, mean ‖J‖_F ${r.jacobianNorm.toFixed(3)}, ` +
              `linear probe ${r.probeAccuracy.toFixed(3)}, fine-tuned ${r.fineTunedAccuracy.toFixed(3)}`,
          );
          assert.ok(Number.isFinite(r.jacobianNorm) && r.jacobianNorm > 0, `${r.id}: ‖J‖_F is a positive number (${r.jacobianNorm})`);
          assert.ok(r.probeAccuracy > 0.1 && r.probeAccuracy <= 1, `${r.id}: the probe accuracy is in (0.1, 1] (${r.probeAccuracy})`);
          assert.ok(r.fineTunedAccuracy > 0.1 && r.fineTunedAccuracy <= 1, `${r.id}: the fine-tuned accuracy is in (0.1, 1] (${r.fineTunedAccuracy})`);
        }
        // Same data, seed and budget: the penalty on ‖J‖²_F is what makes the contractive code less sensitive (0.206 vs 0.227 measured).
        const [plain, contractive] = c.results;
        assert.ok(contractive.jacobianNorm < plain.jacobianNorm, `the contractive variant has the smaller ‖J‖_F (${contractive.jacobianNorm} vs ${plain.jacobianNorm})`);
        // Each column shows its own pictures and numbers.
        const columns = page.locator('#cmp-columns .compare-column');
        assert.equal(await columns.count(), 2, 'one column per variant');
        const shown = await columns.evaluateAll((cols) =>
          cols.map((col) => {
            const ink = (cls: string) => {
              const c = col.querySelector<HTMLCanvasElement>(cls)!;
              const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
              const grey: number[] = [];
              for (let k = 0; k < d.length; k += 4) grey.push((d[k] + d[k + 1] + d[k + 2]) / 3);
              const m = grey.reduce((a, b) => a + b, 0) / grey.length;
              return Math.sqrt(grey.reduce((a, g) => a + (g - m) ** 2, 0) / grey.length);
            };
            const text = (m: string) => col.querySelector(`[data-measure="${m}"]`)!.textContent ?? '';
            return { filters: ink('.cmp-filters'), recon: ink('.cmp-recon'), jacobian: text('jacobian'), probe: text('probe'), finetuned: text('finetuned') };
          }),
        );
        shown.forEach((col, i) => {
          const r = c.results[i];
          assert.ok(col.filters > 5, `${r.id}: the filters are drawn (grey std ${col.filters.toFixed(1)})`);
          assert.ok(col.recon > 5, `${r.id}: the reconstructions are drawn (grey std ${col.recon.toFixed(1)})`);
          const j = Number(col.jacobian);
          assert.ok(Math.abs(j - r.jacobianNorm) <= 0.01 * r.jacobianNorm, `${r.id}: ‖J‖ is shown as a number (${col.jacobian} for ${r.jacobianNorm})`);
          assert.equal(col.probe, `${(100 * r.probeAccuracy).toFixed(1)}%`, `${r.id}: the probe accuracy is shown`);
          assert.equal(col.finetuned, `${(100 * r.fineTunedAccuracy).toFixed(1)}%`, `${r.id}: the fine-tuned accuracy is shown`);
        });
        for (const id of ['cmp-original', 'cmp-corrupted']) {
          const ink = await canvasInk(page, id);
          assert.ok(ink.std > 5, `#${id} is not blank (grey std ${ink.std.toFixed(1)})`);
        }
        assert.equal(await page.locator('#compare-start').isEnabled(), true, 'Compare is enabled again afterwards');
        await page.screenshot({ path: `${ctx.screenshotDir}/desktop-compare.png`, fullPage: true });
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
      }
    },
  },
  {
    name: 'validation messages appear next to their fields and block Start',
    async run(ctx) {
      const { page, errors } = await open(ctx);
      try {
        await waitForState(page, ['ready']);
        await choosePreset(page, 'sparse-kl', {});
        await setField(page, 'encoderActivation', 'relu');
        await setField(page, 'noiseType', 'masking');
        await setField(page, 'noiseLevel', 1.5);
        await setField(page, 'learningRate', 0);
        await setField(page, 'batchSize', 70000);
        const msg = async (id: string) => (await page.locator(`#${id}-msg`).textContent()) ?? '';
        // The library's own messages (resolveConfig, validateOptimizer), under the field they name.
        assert.match(await msg('encoderActivation'), /encoderActivation must be 'sigmoid' when sparsity.type is 'kl'/);
        assert.match(await msg('noiseLevel'), /noise.rate must be a number in \[0, 1\) \(got 1.5\)/);
        assert.match(await msg('learningRate'), /learningRate must be a finite number > 0/);
        assert.match(await msg('batchSize'), /batchSize must be at most trainSamples/);
        assert.equal(await msg('hiddenSize'), '');
        assert.equal(await page.locator('#start').isDisabled(), true, 'Start is disabled while settings are invalid');
        await page.screenshot({ path: `${ctx.screenshotDir}/desktop-validation.png` });
        await setField(page, 'encoderActivation', 'sigmoid');
        await setField(page, 'noiseLevel', 0.5);
        await setField(page, 'learningRate', 0.001);
        await setField(page, 'batchSize', 100);
        assert.equal(await msg('encoderActivation'), '');
        assert.equal(await page.locator('#start').isEnabled(), true, 'Start is enabled once the settings are fixed');
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
      }
    },
  },
  {
    name: 'Save writes a model file; Load restores its config and weights',
    async run(ctx) {
      const { page, errors } = await open(ctx);
      try {
        await waitForState(page, ['ready']);
        assert.equal(await page.locator('#save').isDisabled(), true, 'nothing to save before a run');
        await choosePreset(page, 'denoising-masking', { ...SMALL, hiddenSize: 24, epochs: 1 });
        await page.locator('#start').click();
        await waitForState(page, ['done'], 60_000);
        const trained = (await debug(page)).evalLoss.at(-1)!;
        const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#save').click()]);
        assert.match(download.suggestedFilename(), /^autoencoder-denoising-masking-h24\.safetensors$/);
        const path = await download.path();

        // A fresh page: load the file, check the form, train on from its weights.
        await page.reload();
        await waitForState(page, ['ready']);
        await page.locator('#load-file').setInputFiles(path);
        await page.waitForFunction(() => /Loaded/.test(document.getElementById('status')!.textContent ?? ''));
        assert.equal(await page.locator('#hiddenSize').inputValue(), '24');
        assert.equal(await page.locator('#noiseType').inputValue(), 'masking');
        for (const [id, v] of Object.entries({ trainSamples: 2000, evalSamples: 200, batchSize: 50, epochs: 1 })) await setField(page, id, v);
        await page.locator('#start').click();
        await page.waitForFunction(() => (window as unknown as { __demo: DemoDebug }).__demo.evalLoss.length >= 1, undefined, { timeout: 60_000 });
        const first = (await debug(page)).evalLoss[0];
        console.log(`  held-out loss: saved model ${trained.toFixed(4)}, loaded model before training ${first.toFixed(4)}`);
        // Same weights, held-out digits and kernels: the same float32 sums in the same order.
        assert.ok(Math.abs(first - trained) <= 1e-4 * trained, `the loaded model has the saved weights (${trained} vs ${first})`);
        await waitForState(page, ['done'], 60_000);
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
      }
    },
  },
  {
    name: 'a lost device stops training with a message, and Reconnect recovers',
    async run(ctx) {
      const { page, errors } = await open(ctx);
      try {
        await waitForState(page, ['ready']);
        await choosePreset(page, 'plain', { ...SMALL, epochs: 20 });
        await page.locator('#start').click();
        await page.waitForFunction(() => (window as unknown as { __demo: DemoDebug }).__demo.progressEvents >= 2, undefined, { timeout: 60_000 });
        await page.evaluate(() => (window as unknown as { __demo: { loseDevice(): void } }).__demo.loseDevice());
        await waitForState(page, ['lost']);
        await page.locator('#banner').waitFor({ state: 'visible' });
        assert.match((await page.locator('#banner').textContent()) ?? '', /The GPU device was lost/);
        assert.equal(await page.locator('#start').isDisabled(), true, 'Start is disabled without a device');
        await page.screenshot({ path: `${ctx.screenshotDir}/desktop-device-lost.png` });
        await page.locator('#banner-action').click();
        await waitForState(page, ['ready', 'failed', 'stopped']);
        await page.waitForFunction(() => !(document.getElementById('start') as HTMLButtonElement).disabled, undefined, { timeout: 30_000 });
        assert.equal(await page.locator('#banner').isVisible(), false, 'the banner goes once the GPU is back');
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
      }
    },
  },
  {
    name: 'without WebGPU the page explains what is missing',
    async run(ctx) {
      // Desktop: a Chromium without the WebGPU flags (no adapter, or no navigator.gpu).
      // Phone: navigator.gpu deleted before the page runs (a browser without WebGPU at all).
      for (const [viewport, removeApi] of [
        [DESKTOP, false],
        [PHONE, true],
      ] as const) {
        const { page, errors } = await open(ctx, {
          webgpu: false,
          viewport,
          init: removeApi ? () => void delete (Navigator.prototype as { gpu?: unknown }).gpu : undefined,
        });
        try {
          if (removeApi) assert.equal(await page.evaluate(() => 'gpu' in navigator), false, 'navigator.gpu was removed');
          await waitForState(page, ['no-webgpu'], 20_000);
          const banner = page.locator('#banner');
          assert.equal(await banner.isVisible(), true);
          assert.match((await banner.textContent()) ?? '', /This demo needs WebGPU/);
          assert.equal(await page.locator('#start').isDisabled(), true);
          assert.equal(await page.locator('#hiddenSize').isVisible(), true, 'the settings are still there to look at');
          await page.screenshot({ path: `${ctx.screenshotDir}/${viewport === PHONE ? 'phone' : 'desktop'}-no-webgpu.png` });
          assert.deepEqual(errors, []);
        } finally {
          await page.close();
        }
      }
    },
  },
];
