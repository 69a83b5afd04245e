import { chooseLiveTarget, type LiveTargetSelector } from '../core/egress/live-target-choice.js';
import type { SessionRecord } from '../core/session/session-list.js';
import type { HostContext } from '../host/host-context.js';
import { listManagedContainers } from '../host/session/sessions.js';
import { realCwd } from './session-pick.js';

export type { LiveTargetSelector } from '../core/egress/live-target-choice.js';

/** The running sandbox (session, plain run or exec) that `allow`, `deny`, `approve` and `egress --follow` act on (R167). */
export async function pickLiveTarget(selector: LiveTargetSelector, ctx: HostContext, command: string): Promise<SessionRecord> {
  return chooseLiveTarget(await listManagedContainers(), selector, await realCwd(ctx), command);
}
