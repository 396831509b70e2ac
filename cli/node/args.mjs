// A small command-line parser for the CLI (no dependency): `--name value`,
// `--name=value`, boolean `--flag`, `--` ends the options. Every mistake throws
// a UsageError that says what was wrong and what is allowed; the CLI turns it
// into exit code 2.

/** A mistake in how the command was called (exit code 2). */
export class UsageError extends Error {
  name = 'UsageError';
}

/**
 * @typedef {{ type: 'string' | 'boolean', value?: string, help: string }} OptionSpec
 *   `value` names the argument in the help text (e.g. 'N', 'FILE').
 */

/**
 * Parse `argv` (without the command) against `spec`.
 * @param {string[]} argv
 * @param {Record<string, OptionSpec>} spec  option names without the leading '--'
 * @param {string} command  for messages
 * @returns {{ values: Record<string, string | boolean>, positionals: string[] }}
 */
export function parseOptions(argv, spec, command) {
  /** @type {Record<string, string | boolean>} */
  const values = {};
  const positionals = [];
  const allowed = () => Object.keys(spec).map((n) => `--${n}`).join(', ');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-' && arg !== '-h') {
        throw new UsageError(`${command}: unknown option ${arg}; options are written --name (allowed: ${allowed()})`);
      }
      if (arg === '-h') {
        values.help = true;
        continue;
      }
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const opt = spec[name];
    if (!opt) {
      const close = Object.keys(spec).filter((n) => n.startsWith(name.slice(0, 3)) || name.startsWith(n.slice(0, 3)));
      const hint = close.length > 0 ? ` (did you mean ${close.map((n) => `--${n}`).join(' or ')}?)` : '';
      throw new UsageError(`${command}: unknown option --${name}${hint}; allowed: ${allowed()}`);
    }
    if (name in values) throw new UsageError(`${command}: --${name} is given twice`);
    if (opt.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`${command}: --${name} is a switch and takes no value (got ${arg})`);
      values[name] = true;
      continue;
    }
    let value;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) {
        throw new UsageError(`${command}: --${name} needs a value (${opt.value ?? 'VALUE'}: ${opt.help})`);
      }
      i++;
    }
    if (value === '') throw new UsageError(`${command}: --${name} needs a non-empty value (${opt.value ?? 'VALUE'}: ${opt.help})`);
    values[name] = value;
  }
  return { values, positionals };
}

/** Help lines for an option spec, aligned. */
export function describeOptions(spec) {
  const rows = Object.entries(spec).map(([n, o]) => [`--${n}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`, o.help]);
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`).join('\n');
}

/** A positive integer from an option value, or a UsageError naming the option. */
export function positiveInt(name, v) {
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(String(v)) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer (got ${JSON.stringify(v)})`);
  return n;
}

/** An integer ≥ 0 from an option value. */
export function nonNegativeInt(name, v) {
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(String(v)) || !Number.isSafeInteger(n)) throw new UsageError(`--${name} must be an integer ≥ 0 (got ${JSON.stringify(v)})`);
  return n;
}

/** A finite number > 0 (or ≥ 0 with allowZero) from an option value. */
export function positiveNumber(name, v, allowZero = false) {
  const n = Number(v);
  if (String(v).trim() === '' || !Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    throw new UsageError(`--${name} must be a number ${allowZero ? '≥' : '>'} 0 (got ${JSON.stringify(v)})`);
  }
  return n;
}

/** Comma-separated positive integers ("128" or "500,250,30"). */
export function positiveIntList(name, v) {
  const parts = String(v).split(',');
  if (parts.some((p) => !/^\s*\d+\s*$/.test(p) || Number(p) < 1)) {
    throw new UsageError(`--${name} must be a positive integer or a comma-separated list of them such as 500,250,30 (got ${JSON.stringify(v)})`);
  }
  return parts.map(Number);
}
