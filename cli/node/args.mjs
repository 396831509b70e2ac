// The CLI's argument parsing: Node's own util.parseArgs (`--name value`,
// `--name=value`, boolean `--flag`, `-h`, `--` ends the options), run without
// its strict mode so that every mistake gets our message: an unknown option (with
// a suggestion), a missing value, a value given to a switch, an option given
// twice. Each throws a UsageError saying what was wrong and what is allowed; the
// CLI turns it into exit code 2.
import { parseArgs } from 'node:util';

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
  const options = Object.fromEntries(Object.entries(spec).map(([n, o]) => [n, { type: o.type, ...(n === 'help' ? { short: 'h' } : {}) }]));
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  /** @type {Record<string, string | boolean>} */
  const values = {};
  const positionals = [];
  const allowed = () => Object.keys(spec).map((n) => `--${n}`).join(', ');
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const { name, rawName, value, inlineValue } = token;
    const opt = spec[name];
    if (!rawName.startsWith('--') && !(rawName === '-h' && spec.help)) {
      throw new UsageError(`${command}: unknown option ${rawName}; options are written --name (allowed: ${allowed()})`);
    }
    if (!opt) {
      const close = Object.keys(spec).filter((n) => n.startsWith(name.slice(0, 3)) || name.startsWith(n.slice(0, 3)));
      const hint = close.length > 0 ? ` (did you mean ${close.map((n) => `--${n}`).join(' or ')}?)` : '';
      throw new UsageError(`${command}: unknown option --${name}${hint}; allowed: ${allowed()}`);
    }
    if (name in values) throw new UsageError(`${command}: --${name} is given twice`);
    if (opt.type === 'boolean') {
      if (inlineValue) throw new UsageError(`${command}: --${name} is a switch and takes no value (got ${rawName}=${value})`);
      values[name] = true;
      continue;
    }
    // parseArgs takes the next argument as the value even when it is an option: `--epochs --quiet` lacks a value.
    if (value === undefined || (!inlineValue && value.startsWith('--') && value.length > 2)) {
      throw new UsageError(`${command}: --${name} needs a value (${opt.value ?? 'VALUE'}: ${opt.help})`);
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
