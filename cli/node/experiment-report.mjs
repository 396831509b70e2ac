// results.md of an experiment: the question, how it was run, its tables, the
// checks of what it is designed to show, its figures and the literature's anchors.

/** The experiments of cli/page/experiments/registry.ts (tests/unit/experiments.test.ts checks they agree), for usage errors and help. */
export const EXPERIMENT_NAMES = ['filters', 'bottleneck', 'contraction', 'features', 'stacked', 'overcomplete'];
export const EXPERIMENT_SIZES = ['quick', 'medium', 'full'];

const cell = (v) => (v === null || v === undefined ? '—' : String(v).replace(/\|/g, '\\|'));

/**
 * @param {import('../page/experiments/run').ExperimentOutcome} r
 * @param {{ command: string, adapter: string, date: string, wallSeconds: number }} run
 */
export function resultsMarkdown(r, run) {
  const lines = [`# ${r.title}`, '', r.question, ''];
  lines.push(`- command: \`${run.command}\``, `- size: ${r.size}; wall time ${run.wallSeconds.toFixed(0)} s (the experiment itself ${r.seconds.toFixed(0)} s)`, `- adapter: ${run.adapter}`, `- date: ${run.date}`);
  lines.push(`- settings: \`${JSON.stringify(r.settings)}\``, '');
  for (const t of r.tables) {
    lines.push(`## ${t.title}`, '', `| ${t.columns.map(cell).join(' | ')} |`, `|${t.columns.map(() => '---').join('|')}|`);
    for (const row of t.rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
    lines.push('');
    if (t.note) lines.push(t.note, '');
  }
  lines.push('## What it is designed to show', '');
  for (const c of r.checks) lines.push(`- ${c.passed ? '✔ shown' : '✘ NOT shown'}: ${c.claim} (${c.measured})`);
  lines.push('');
  if (Object.keys(r.figures).length > 0) {
    lines.push('## Figures', '');
    for (const name of Object.keys(r.figures)) lines.push(`![${name}](${name})`, '', r.captions[name] ?? '', '');
  }
  if (r.notes.length > 0) {
    lines.push('## Anchors', '');
    for (const n of r.notes) lines.push(`- ${n}`);
    lines.push('');
  }
  return lines.join('\n');
}
