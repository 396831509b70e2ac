// Progress of a job on the terminal (stderr, so stdout carries only results):
// on a TTY one line redrawn in place — a bar with epoch, step, loss and
// samples/s; otherwise plain lines, one per progress event.

/**
 * @param {{ stream?: NodeJS.WriteStream, quiet?: boolean }} [opts]
 * @returns {(event: Record<string, any>) => void}
 */
export function progressPrinter(opts = {}) {
  const out = opts.stream ?? process.stderr;
  const tty = Boolean(out.isTTY);
  let open = false; // a progress line is on screen and needs a newline before anything else
  const line = (text) => {
    if (open) out.write('\n');
    open = false;
    out.write(text + '\n');
  };
  return (e) => {
    if (opts.quiet) return;
    if (e.kind === 'status') line(e.message);
    else if (e.kind === 'adapter') line(`adapter: ${[e.adapter?.vendor, e.adapter?.architecture, e.adapter?.description].filter(Boolean).join(' / ') || 'unknown'}`);
    else if (e.kind === 'progress') {
      const width = 24;
      const done = Math.min(width, Math.round((e.stepInEpoch / e.stepsPerEpoch) * width));
      const text =
        `epoch ${e.epoch}/${e.epochs} ${'█'.repeat(done)}${'░'.repeat(width - done)} ` +
        `step ${String(e.stepInEpoch).padStart(String(e.stepsPerEpoch).length)}/${e.stepsPerEpoch}  ` +
        `loss ${e.loss.toFixed(3)}  ${Math.round(e.samplesPerSecond)} samples/s`;
      if (tty) {
        out.write(`\r\x1b[2K${text}`);
        open = true;
      } else line(text);
    } else if (e.kind === 'epoch') {
      line(
        `epoch ${e.epoch} done in ${e.seconds.toFixed(1)} s: training loss ${e.trainLoss.toFixed(3)}` +
          (e.evalLoss !== undefined ? `, held-out loss ${e.evalLoss.toFixed(3)}` : '') +
          `, ${Math.round(e.samplesPerSecond)} samples/s`,
      );
    }
  };
}
