import path from 'node:path';
import { AGENTS } from '../core/agents/agents.js';
import { formatResumeHint } from '../core/agents/resume-hint.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import { findSessionId } from '../host/agents/find-session-id.js';
import type { PreparedRun } from './prepare-run.js';

/** A session file written a little before the launcher's clock said the run started still counts. */
const CLOCK_SLACK_MS = 2000;

/**
 * Where the run's agent keeps its conversations on the host: below its home in the Codex home,
 * or in `--sessions-path` when that is mounted over the home's `sessions` (R101: both agent-writable trees).
 */
export function locateSessionsDir(prepared: PreparedRun): string | undefined {
  const { resolved } = prepared;
  const agent = AGENTS[resolved.agent.id];
  if (agent.resume === undefined) return undefined;
  const inHome = path.join(resolved.envDir, agent.homeDir, ...agent.resume.sessionsDir.split('/'));
  const mounted = path.relative(path.join(resolved.envDir, 'sessions'), inHome);
  if (mounted === '' || (!mounted.startsWith('..') && !path.isAbsolute(mounted))) return path.join(resolved.sessionsDir, mounted);
  return inHome;
}

/**
 * After an interactive run of an agent with a ResumeSpec: the launcher's own resume hint on
 * stderr, naming the conversation the run wrote (the agent's own hint names a command the host
 * does not have). Nothing when no conversation file was written during the run; never throws.
 */
export async function printResumeHint(prepared: PreparedRun, startedAt: number): Promise<void> {
  const { resolved } = prepared;
  const agent = AGENTS[resolved.agent.id];
  const sessionsDir = locateSessionsDir(prepared);
  if (resolved.command !== 'agent' || agent.resume === undefined || sessionsDir === undefined) return;
  try {
    const id = await findSessionId(sessionsDir, prepared.trees, agent.resume, startedAt - CLOCK_SLACK_MS);
    const hint = id === undefined ? undefined : formatResumeHint(resolved.workdir, agent, id);
    if (hint !== undefined) process.stderr.write(`${escapeTerminalText(hint)}\n`);
  } catch {
    // A hint is a convenience: a failure here never changes the run's outcome.
  }
}
