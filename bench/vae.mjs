// npm run bench:vae — the PyTorch VAE example's recipe trained in this library on
// the bundled MNIST, held-out negative ELBO per test digit after every epoch;
// and, when Debian's python3-torch is installed, the PyTorch example itself on the
// same IDX files (bench/pytorch-vae.py), so both figures come from one run.
//
//   node bench/vae.mjs [--epochs 10] [--train-limit N] [--seed 1] [--no-pytorch]
//
// Writes bench/results/vae-<date>.json.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { callPageFunction, REPO_ROOT, withHeadlessPage } from '../cli/node/headless.mjs';

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '10' },
    'train-limit': { type: 'string' },
    seed: { type: 'string', default: '1' },
    'no-pytorch': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log('usage: node bench/vae.mjs [--epochs 10] [--train-limit N] [--seed 1] [--no-pytorch]');
  process.exit(0);
}
const int = (v, name) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer, got ${v}`);
    process.exit(2);
  }
  return n;
};
const options = { epochs: int(args.epochs, 'epochs'), seed: int(args.seed, 'seed'), trainLimit: args['train-limit'] ? int(args['train-limit'], 'train-limit') : undefined };

/** The PyTorch example on the same data, if torch is importable by /usr/bin/python3. */
function runPytorch(out) {
  return new Promise((resolve) => {
    const p = spawn('/usr/bin/python3', [`${REPO_ROOT}bench/pytorch-vae.py`, out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stdout.on('data', (d) => process.stdout.write(`[pytorch] ${d}`));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', () => resolve(undefined));
    p.on('close', (code) => {
      if (code !== 0) {
        console.log(`[pytorch] not run: ${err.trim().split('\n').at(-1) ?? `exit ${code}`}`);
        resolve(undefined);
      } else resolve(JSON.parse(readFileSync(out, 'utf8')));
    });
  });
}

mkdirSync(`${REPO_ROOT}bench/results`, { recursive: true });
const stamp = new Date().toISOString().slice(0, 10);
// PyTorch runs first when asked (both at once would share the CPU that SwiftShader also needs).
const pytorch = args['no-pytorch'] || options.trainLimit ? undefined : await runPytorch(`${REPO_ROOT}bench/results/pytorch-vae-${stamp}.json`);
const started = performance.now();
const ours = await withHeadlessPage('bench/vae.html', ({ page }) => callPageFunction(page, 'runVae', options), {
  timeoutMs: 120 * 60_000,
  expose: { vaeProgress: (line) => console.log(`${((performance.now() - started) / 1000).toFixed(0).padStart(5)}s  ${line}`) },
});
const last = ours.history.at(-1);
const result = { date: new Date().toISOString(), options, adapter: ours.adapter, ours: ours.history, pytorch };
writeFileSync(`${REPO_ROOT}bench/results/vae-${stamp}.json`, JSON.stringify(result, null, 2));
console.log(`\nheld-out negative ELBO per test digit after ${options.epochs} epochs: webgpu-autoencoders ${last.evalLoss.toFixed(2)}`);
if (pytorch) {
  const theirs = pytorch.history[Math.min(options.epochs, pytorch.history.length) - 1].test;
  console.log(`PyTorch ${pytorch.torch} example on the same data: ${theirs.toFixed(2)}; difference ${(last.evalLoss - theirs).toFixed(2)} nats`);
}
