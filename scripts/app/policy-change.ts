import os from 'node:os';
import { UsageError } from '../core/errors.js';
import { describeLiveTarget } from '../core/egress/live-target-choice.js';
import { parseLiveDuration, parseLiveHosts, toRequester, type LiveAction } from '../core/egress/live-policy.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import type { HostContext } from '../host/host-context.js';
import { applyLiveChange } from '../host/egress/live-policy.js';
import { pickLiveTarget, type LiveTargetSelector } from './live-target.js';
import { prepareSettingsSave } from './policy-save.js';

export interface PolicyChangeOptions {
  action: LiveAction;
  hosts: string[];
  selector: LiveTargetSelector;
  /** `--for DURATION`: the change ends by itself. */
  for?: string;
  /** `--save`: also into the project's `.codex/sandbox.ini`, recorded as trusted. */
  save: boolean;
}

/** The host user's name for the record ("who"), `-` when it cannot be told. */
export function currentRequester(ctx: Pick<HostContext, 'env'>): string {
  try {
    return toRequester(os.userInfo().username);
  } catch {
    return toRequester(ctx.env.USER);
  }
}

const clock = (epochSeconds: number) => new Date(epochSeconds * 1000).toTimeString().slice(0, 8);

/**
 * `run-in-container allow|deny HOST… [--name S | --run ID | --last] [--for D] [--save]` (R167):
 * changes the policy of a running sandbox without restarting it. Everything is checked before
 * anything changes; `--save` is written only once the sandbox took the change.
 */
export async function policyChangeCommand(options: PolicyChangeOptions, ctx: HostContext): Promise<number> {
  const hosts = parseLiveHosts(options.hosts, options.action);
  const seconds = options.for === undefined ? undefined : parseLiveDuration(options.for);
  if (seconds !== undefined && options.save) throw new UsageError('give --for or --save, not both: a saved change has no end');
  const target = await pickLiveTarget(options.selector, ctx, options.action);
  const where = describeLiveTarget(target);
  const save = options.save ? await prepareSettingsSave(target.workdir, options.action, hosts, ctx) : undefined;
  const until = seconds === undefined ? undefined : Math.floor(Date.now() / 1000) + seconds;
  const started = Date.now();
  await applyLiveChange(
    { container: target.container, action: options.action, by: currentRequester(ctx), ...(until === undefined ? {} : { until }), hosts },
    escapeTerminalText(where),
  );
  const took = Date.now() - started;
  const verb = options.action === 'allow' ? 'allowed' : 'denied';
  const end = until === undefined ? 'until it stops' : `until ${clock(until)}`;
  process.stdout.write(`${verb} ${hosts.join(' ')} in ${escapeTerminalText(where)} ${end}\n`);
  process.stderr.write(`applied in ${took} ms (resolver, addresses and name check)\n`);
  if (save !== undefined) process.stdout.write(`${await save.write()}\n`);
  return 0;
}
