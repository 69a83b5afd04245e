import { UsageError } from '../core/errors.js';
import { parseLiveChunk, startLiveLog, type LiveLogState } from '../core/egress/egress-live.js';
import { coversName } from '../core/egress/egress-policy.js';
import { aggregateEgress, suggestAllow } from '../core/egress/egress-summary.js';
import { describeLiveTarget } from '../core/egress/live-target-choice.js';
import { isRunning, type SessionRecord } from '../core/session/session-list.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import { peekEgressLog } from '../host/egress/egress-peek.js';
import type { HostContext } from '../host/host-context.js';
import { applyLiveChange, readLiveEntries, readPendingNames } from '../host/egress/live-policy.js';
import { listManagedContainers } from '../host/session/sessions.js';
import { currentRequester } from './policy-change.js';
import { prepareSettingsSave } from './policy-save.js';
import { pickLiveTarget, type LiveTargetSelector } from './live-target.js';

export interface ApproveOptions {
  selector: LiveTargetSelector;
  /** Ask about what is pending now, then exit (else: keep watching until Ctrl-C). */
  once: boolean;
}

/** A name a sandbox was refused and nobody has decided on yet. */
interface Pending {
  name: string;
  count: number;
  why: string;
}

/** What `approve` remembers per sandbox: where its log was read up to, what it saw, what was answered. */
interface Watched {
  log: LiveLogState;
  refused: Map<string, Pending>;
  answered: Set<string>;
}

const MAX_NAMES = 1000;
const POLL_MS = 1000;

/** Reads what the sandbox logged since the last look; false when it is gone or keeps no log. */
async function readNewRefusals(target: SessionRecord, watched: Watched): Promise<boolean> {
  for (let round = 0; round < 8; round++) {
    const peeked = await peekEgressLog(target.container, watched.log.position);
    if (peeked === 'gone' || peeked === 'nolog') return false;
    const moved = peeked.next.gen !== watched.log.position.gen || peeked.next.offset !== watched.log.position.offset;
    watched.log.position = peeked.next;
    const events = parseLiveChunk(peeked.text, watched.log, new Date()).events;
    for (const destination of aggregateEgress(events)) {
      const name = suggestAllow(destination);
      if (name === undefined || name.includes(':')) continue;
      const seen = watched.refused.get(name);
      if (seen !== undefined) seen.count += destination.count;
      else if (watched.refused.size < MAX_NAMES)
        watched.refused.set(name, { name, count: destination.count, why: destination.kind === 'dns' ? 'DNS' : 'name check' });
    }
    if (!moved || peeked.text.length < 512 * 1024) break;
  }
  return true;
}

type Answer = 'once' | 'save' | 'deny' | 'skip';

async function ask(where: string, pending: Pending, heldUntil: number | undefined): Promise<Answer | undefined> {
  const { default: prompts } = await import('prompts');
  let cancelled = false;
  const answer = await prompts(
    {
      type: 'select',
      name: 'choice',
      message:
        heldUntil === undefined
          ? `${where}: ${escapeTerminalText(pending.name)} was refused ${pending.count}× (${pending.why})`
          : `${where}: ${escapeTerminalText(pending.name)} is held: the agent waits ` +
            `${Math.max(0, Math.round(heldUntil - Date.now() / 1000))} s more for your answer`,
      choices: [
        { title: 'allow once (this run)', value: 'once' },
        { title: "allow for this project (saved to the project's .codex/sandbox.ini)", value: 'save' },
        { title: 'deny (stop asking)', value: 'deny' },
        { title: 'skip for now', value: 'skip' },
      ],
      initial: 0,
      stdout: process.stderr,
    },
    { onCancel: () => (cancelled = true) },
  );
  return cancelled ? undefined : (answer.choice as Answer);
}

async function carryOut(target: SessionRecord, name: string, answer: Exclude<Answer, 'skip'>, ctx: HostContext): Promise<string> {
  const where = escapeTerminalText(describeLiveTarget(target));
  const action = answer === 'deny' ? 'deny' : 'allow';
  const save = answer === 'save' ? await prepareSettingsSave(target.workdir, 'allow', [name], ctx) : undefined;
  await applyLiveChange({ container: target.container, action, by: currentRequester(ctx), hosts: [name] }, where);
  const done = `${action === 'allow' ? 'allowed' : 'denied'} ${escapeTerminalText(name)} in ${where}`;
  return save === undefined ? done : `${done}; ${await save.write()}`;
}

/** One pass over one sandbox: every refused name not yet decided is asked about. */
async function askAbout(target: SessionRecord, watched: Watched, ctx: HostContext): Promise<'asked' | 'gone' | 'cancelled'> {
  if (!(await readNewRefusals(target, watched))) return 'gone';
  const where = escapeTerminalText(describeLiveTarget(target));
  const undecided = [...watched.refused.values()].filter((pending) => !watched.answered.has(pending.name));
  // Nothing new to ask about: no more engine calls this round.
  if (undecided.length === 0) return 'asked';
  const live = await readLiveEntries(target.container, where).catch(() => []);
  const held = await readPendingNames(target.container).catch(() => new Map<string, number>());
  // Held names first: an agent is waiting for them (--ask, R172).
  const queue = undecided.sort((a, b) => Number(held.has(b.name)) - Number(held.has(a.name)));
  for (const pending of queue) {
    // Decided already (allow or deny, here or from the command line): not asked, not looked up again.
    if (live.some((entry) => coversName(entry.pattern, pending.name))) {
      watched.answered.add(pending.name);
      continue;
    }
    const answer = await ask(where, pending, held.get(pending.name));
    if (answer === undefined) return 'cancelled';
    watched.answered.add(pending.name);
    if (answer === 'skip') continue;
    try {
      process.stdout.write(`${await carryOut(target, pending.name, answer, ctx)}\n`);
    } catch (error) {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
  return 'asked';
}

/**
 * `run-in-container approve` (R167): in a second terminal, each name a running sandbox was
 * refused (with its count and whether DNS or the name check refused it) is asked about:
 * allow once (this run), allow for this project (`--save`), deny (stop asking), or skip.
 * It keeps watching (every second) until Ctrl-C; `--once` asks about what is pending, then exits.
 */
export async function approveCommand(options: ApproveOptions, ctx: HostContext): Promise<number> {
  if (process.stdin.isTTY !== true || process.stderr.isTTY !== true)
    throw new UsageError('approve asks on a terminal: run it in one, or use run-in-container allow|deny HOST --name S');
  const chosen = options.selector.name !== undefined || options.selector.run !== undefined || options.selector.last === true;
  const fixed = chosen ? await pickLiveTarget(options.selector, ctx, 'approve') : undefined;
  const watched = new Map<string, Watched>();
  let waiting = false;
  for (;;) {
    const targets = fixed !== undefined ? [fixed] : (await listManagedContainers()).filter(isRunning);
    if (targets.length === 0 && !waiting) process.stderr.write('no sandbox is running: waiting for one (Ctrl-C ends)\n');
    waiting = targets.length === 0;
    for (const target of targets) {
      const state = watched.get(target.container) ?? { log: startLiveLog(), refused: new Map(), answered: new Set() };
      watched.set(target.container, state);
      const outcome = await askAbout(target, state, ctx);
      if (outcome === 'cancelled') return 130;
      if (outcome === 'gone' && fixed !== undefined) {
        process.stderr.write(`${escapeTerminalText(describeLiveTarget(fixed))} is not running any more\n`);
        return 0;
      }
    }
    if (options.once) return 0;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
