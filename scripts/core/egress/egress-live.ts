import { parseEgressLog, type ParsedEgressLog } from './egress-log-parser.js';
import type { PeekPosition } from '../session/session-docker-args.js';

/**
 * Reading a running sandbox's log piece by piece (`sandbox-egress peek`, R170), as `egress
 * --follow` and `approve` do: where the reader is, plus what earlier pieces said that later
 * ones need — the policy header (it classifies refusals) and the latest DNS answers (they name
 * the addresses of refused connections). Bounded: a header line is cut at 64 KiB, at most
 * KEPT_REPLIES answers are kept.
 */
export interface LiveLogState {
  position: PeekPosition;
  header: Map<string, string>;
  replies: string[];
}

const KEPT_REPLIES = 256;
const HEADER = /^#(allow|deny|upstream) /;
const REPLY = /\s(?:reply|cached) \S+ is \S+\s*$/;

export function startLiveLog(): LiveLogState {
  return { position: { gen: 0, offset: 0 }, header: new Map(), replies: [] };
}

/** One piece's events and policy changes, parsed as the whole log would parse them. */
export function parseLiveChunk(text: string, state: LiveLogState, now: Date): ParsedEgressLog {
  for (const line of text.split('\n')) {
    if (HEADER.test(line)) state.header.set(line.slice(0, line.indexOf(' ')), line.slice(0, 64 * 1024));
    else if (REPLY.test(line) && line.length < 600) state.replies.push(line);
  }
  state.replies.splice(0, Math.max(0, state.replies.length - KEPT_REPLIES));
  const context = [...state.header.values(), ...state.replies].join('\n');
  return parseEgressLog(`${context}\n${text}`, now);
}
