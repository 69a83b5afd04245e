import { parseAgentId, type AgentId } from '../core/agents/agents.js';
import { UsageError } from '../core/errors.js';

/**
 * The one check for a single-valued flag or positional as yargs hands it over: absent, one
 * string, or refused when repeated or given without a value. `what` names it in the message
 * (e.g. "--config"). With `allowEmpty`, '' passes through so the path check can say
 * "is empty: give a path".
 */
export function readSingleValue(value: unknown, what: string, options: { allowEmpty?: boolean } = {}): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new UsageError(`${what} was given more than once: give it once`);
  if (typeof value !== 'string' || (value === '' && options.allowEmpty !== true)) throw new UsageError(`${what} needs a value`);
  return value;
}

/** A repeatable flag: every occurrence must carry a non-blank value. */
export function readRepeatedValues(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((entry) => {
    if (typeof entry !== 'string' || entry.trim() === '') throw new UsageError(`${what} needs a non-empty value`);
    return entry;
  });
}

/**
 * A flag declared `type: 'boolean'`; absent: `absent`. yargs hands over the last of repeated
 * ones (`--keep --keep` is true, `--keep --no-keep` false), so a repeat is no error; what is
 * not a boolean (`--keep.x` makes an object) is refused.
 */
export function readFlag(value: unknown, what: string, absent = false): boolean {
  if (value === undefined) return absent;
  if (typeof value !== 'boolean') throw new UsageError(`${what} takes no value: give it alone`);
  return value;
}

/** Words after the command that it does not take (`_` holds the command name first). */
export function refuseExtraWords(words: readonly unknown[] | undefined, taken = 1, hint = ''): void {
  const list = words ?? [];
  if (list.length > taken)
    throw new UsageError(`unexpected argument ${JSON.stringify(String(list[taken]))}${hint === '' ? ' (see --help)' : `: ${hint}`}`);
}

/** Everything after `--`, untouched. */
export function readPassThrough(value: unknown): string[] {
  return ((value as unknown[] | undefined) ?? []).map(String);
}

/** `--agent NAME` given once: a registry id (R120); absent: no key. */
export function readAgentFlag(value: unknown): { agent?: AgentId } {
  const agent = readSingleValue(value, '--agent');
  return agent === undefined ? {} : { agent: parseAgentId(agent, '--agent') };
}
