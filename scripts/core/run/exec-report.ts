import { DEFAULT_AGENT, type AgentId } from '../agents/agents.js';
import { CODEX_HOME_TARGET } from './container-identity.js';
import { UsageError } from '../errors.js';
import { formatChangeList, type ChangedFile } from '../track/track-changes.js';

/** Everything `exec` knows once the agent has ended; rendered into summary.md and exit.json. */
export interface ExecOutcome {
  prompt: string;
  /** The agent's final message (codex --output-last-message), undefined when it wrote none. */
  finalMessage?: string;
  changes: readonly ChangedFile[];
  /** How the change list was computed, for the reader. */
  changesSource: 'track' | 'snapshot';
  exitCode: number;
  startedAt: string;
  endedAt: string;
  image: string;
  /** The agent that ran (R126) and its version from the image's labels (exit.json keeps codexVersion for the default agent). */
  agent: AgentId;
  agentVersion?: string;
  workdir: string;
  runId: string;
  repo?: { url: string; ref?: string; commit?: string };
  /** Refused outbound connections (the egress record, R92); null while unknown. */
  blockedEgress: number | null;
  /** Credentials the run sent where they may not go (refused, R162: a honeytoken tripped). */
  credentialLeaks?: Array<{ credential: string; host: string; count: number }>;
}

/** The prompt is one argv element; empty or `-` (read stdin) make no sense headless. */
export function validatePrompt(prompt: unknown): string {
  if (typeof prompt !== 'string' || prompt.trim() === '' || prompt === '-') {
    throw new UsageError('exec needs a PROMPT: run-in-container exec [options] "what to do"');
  }
  return prompt;
}

/**
 * Where codex writes its last message, inside the container and relative to the Codex home.
 * `home` is the Codex home's real directory in the container: codex refuses to open its
 * output file through the /codex_home symlink (ENOTDIR) used when the home is in a workdir.
 */
export function lastMessagePaths(runId: string, home = CODEX_HOME_TARGET): { container: string; relative: string } {
  const relative = `runs/${runId}/last-message.md`;
  return { container: `${home}/${relative}`, relative };
}

/** `20261122T193840Z-<run id>`: sortable, unique per run, no characters needing quotes. */
export function reportDirName(startedAt: string, runId: string): string {
  return `${startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${runId}`;
}

/** One run.log line: ISO timestamp, stream, the text as printed. */
export function formatLogLine(at: string, stream: 'stdout' | 'stderr', text: string): string {
  return `${at} ${stream} ${text}\n`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}

/** A fence longer than any backtick run in `text`, so the text cannot close it. */
function fence(text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  return '`'.repeat(longest + 1);
}

function quoteBlock(text: string): string[] {
  const marker = fence(text);
  return [`${marker}text`, text.replace(/\n$/, ''), marker];
}

export function renderSummary(outcome: ExecOutcome): string {
  const duration = Date.parse(outcome.endedAt) - Date.parse(outcome.startedAt);
  const lines = [
    `# ${outcome.agent} exec ${outcome.runId}`,
    '',
    `- exit code: ${outcome.exitCode}`,
    `- duration: ${formatDuration(duration)} (${outcome.startedAt} to ${outcome.endedAt})`,
    `- workdir: ${outcome.workdir}`,
    `- image: ${outcome.image}${outcome.agentVersion === undefined ? '' : ` (${outcome.agent} ${outcome.agentVersion})`}`,
  ];
  if (outcome.repo !== undefined) {
    const ref = outcome.repo.ref === undefined ? '' : ` ${outcome.repo.ref}`;
    const commit = outcome.repo.commit === undefined ? '' : ` at ${outcome.repo.commit}`;
    lines.push(`- repository: ${outcome.repo.url}${ref}${commit}`);
  }
  lines.push('', '## Prompt', '', ...quoteBlock(outcome.prompt), '', '## Final message', '');
  lines.push(
    ...(outcome.finalMessage === undefined ? ['(the agent wrote no final message; see run.log)'] : quoteBlock(outcome.finalMessage)),
  );
  const source = outcome.changesSource === 'track' ? 'tracked with --track' : 'compared by size, modification and change time and inode';
  lines.push('', `## Files changed in the workdir (${source})`, '', ...quoteBlock(formatChangeList(outcome.changes).join('\n')), '');
  return lines.join('\n');
}

export function renderExitJson(outcome: ExecOutcome): string {
  return `${JSON.stringify(
    {
      exitCode: outcome.exitCode,
      startedAt: outcome.startedAt,
      endedAt: outcome.endedAt,
      runId: outcome.runId,
      image: outcome.image,
      agent: outcome.agent,
      agentVersion: outcome.agentVersion ?? null,
      // Readers from before other agents (R126) find the default agent's (Codex's) version where it was.
      codexVersion: outcome.agent === DEFAULT_AGENT ? (outcome.agentVersion ?? null) : null,
      workdir: outcome.workdir,
      repo:
        outcome.repo === undefined ? null : { url: outcome.repo.url, ref: outcome.repo.ref ?? null, commit: outcome.repo.commit ?? null },
      changedFiles: outcome.changes.length,
      blockedEgress: outcome.blockedEgress,
      credentialLeaks: outcome.credentialLeaks ?? [],
    },
    null,
    2,
  )}\n`;
}

/**
 * Splits streamed text into lines and keeps at most `max` characters of each (R108): one
 * huge line without a newline must not grow a buffer without limit. A cut line ends with a
 * note of how many characters were left out.
 */
export class LineCutter {
  private pending = '';
  private dropped = 0;

  constructor(private readonly max: number) {}

  /** Complete lines in `text` (with what came before); the unfinished rest is kept. */
  push(text: string): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      this.add(newline === -1 ? text.slice(start) : text.slice(start, newline));
      if (newline === -1) return lines;
      lines.push(this.take());
      start = newline + 1;
    }
  }

  /** The unfinished last line, if any. */
  end(): string | undefined {
    return this.pending === '' && this.dropped === 0 ? undefined : this.take();
  }

  private add(piece: string): void {
    const room = Math.max(0, this.max - this.pending.length);
    this.pending += piece.slice(0, room);
    this.dropped += Math.max(0, piece.length - room);
  }

  private take(): string {
    const line = this.dropped > 0 ? `${this.pending} [codex-sandbox: line cut, ${this.dropped} more characters left out]` : this.pending;
    this.pending = '';
    this.dropped = 0;
    return line;
  }
}
