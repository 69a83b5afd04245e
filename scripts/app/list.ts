import { realpath } from 'node:fs/promises';
import path from 'node:path';
import {
  parseFilters,
  renderRecords,
  selectRecords,
  type ListFormat,
  type SessionFilter,
  type SessionRecord,
  type StateSelection,
} from '../core/session/session-list.js';
import type { AgentId } from '../core/agents/agents.js';
import { readImageAgents } from '../core/image/image-labels.js';
import { inspectImage } from '../host/engine/docker.js';
import type { HostContext } from '../host/host-context.js';
import { listManagedContainers } from '../host/session/sessions.js';

export interface ListOptions {
  state: StateSelection;
  format: ListFormat;
  filters: string[];
}

/** `list` (R43): sessions and running sandbox containers, found by label, on stdout. */
export async function listCommand(options: ListOptions, ctx: HostContext): Promise<number> {
  const filters = await Promise.all(parseFilters(options.filters).map((filter) => resolveWorkdirFilter(filter, ctx)));
  const records = await addAgentVersions(selectRecords(await listManagedContainers(), options.state, filters));
  const text = renderRecords(records, options.format);
  if (text === '' && options.format === 'table') process.stderr.write('no sandbox sessions or running sandbox containers (see --all)\n');
  process.stdout.write(text);
  return 0;
}

/** Each record's agent version, from its image's `codex-sandbox.agent.<id>` label (R131): one inspect per image. */
async function addAgentVersions(records: SessionRecord[]): Promise<SessionRecord[]> {
  const labels = new Map<string, Record<string, string>>();
  for (const image of new Set(records.map((record) => record.image))) {
    labels.set(image, (await inspectImage(image).catch(() => undefined))?.labels ?? {});
  }
  return records.map((record) => {
    const version = readImageAgents(labels.get(record.image) ?? {})[record.agent as AgentId];
    return version === undefined ? record : { ...record, agentVersion: version };
  });
}

/** `workdir=.` means this directory, as the labels record it (realpath). */
async function resolveWorkdirFilter(filter: SessionFilter, ctx: HostContext): Promise<SessionFilter> {
  if (filter.key !== 'workdir') return filter;
  const absolute = path.resolve(ctx.cwd, filter.value);
  return { key: 'workdir', value: await realpath(absolute).catch(() => absolute) };
}
