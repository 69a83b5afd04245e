import type { AgentSpec, ResumeSpec } from './agent-spec.js';
import { DEFAULT_AGENT } from './agents.js';

/** A conversation id as the launcher accepts it from an agent-writable tree: a UUID, lowercase, nothing else. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A date directory's name (YYYY, MM, DD): only these are entered. */
const DATE_PART = /^[0-9]{1,4}$/;

/** The id a session file's name carries (ResumeSpec.fileName), only when it is a strict UUID. */
export function readSessionId(fileName: string, resume: ResumeSpec): string | undefined {
  const id = new RegExp(resume.fileName).exec(fileName)?.[1];
  return id !== undefined && UUID.test(id) ? id : undefined;
}

/** Whether a directory name on the way to the session files is a date part (`2026`, `12`, `06`). */
export function isSessionDatePart(name: string): boolean {
  return DATE_PART.test(name);
}

/** `'it''s'` → a POSIX shell word; plain words (letters, digits, `/._:@%+=,-`) as they are. */
export function quoteShellWord(word: string): string {
  return /^[A-Za-z0-9/._:@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The launcher's own resume hint after an interactive run (the agent's names a command that does
 * not exist on the host): `to continue it in the sandbox: run-in-container --work_dir DIR -- resume ID`,
 * with `--agent` when it is not the default one. Not escaped: the caller prints it through escapeTerminalText.
 */
export function formatResumeHint(workdir: string, agent: AgentSpec, id: string): string | undefined {
  if (agent.resume === undefined || !UUID.test(id)) return undefined;
  const agentFlag = agent.id === DEFAULT_AGENT ? [] : ['--agent', agent.id];
  const args = agent.resume.args.map((arg) => arg.replace(/\{id\}/g, id));
  const words = ['run-in-container', '--work_dir', workdir, ...agentFlag, '--', ...args];
  return `to continue it in the sandbox: ${words.map(quoteShellWord).join(' ')}`;
}
