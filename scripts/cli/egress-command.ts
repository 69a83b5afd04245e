import path from 'node:path';
import { EnvironmentError, UsageError } from '../core/errors.js';
import { describeDestination, formatEgressSummary, type EgressDestination } from '../core/egress-summary.js';
import { listEgressRuns, readEgressCopy } from '../host/egress-log.js';
import type { HostContext } from '../host/host-context.js';
import { resolveFuturePath } from '../host/resolve-path.js';
import { resolveWorkdir } from '../host/workdir.js';

export interface EgressOptions {
  run?: string;
  last: boolean;
  json: boolean;
  workDir?: string;
  codexHome?: string;
}

function formatTable(destinations: readonly EgressDestination[]): string {
  const lines = destinations.map((d) => {
    const when = d.time === undefined ? '' : `  first ${d.time}${d.lastTime !== undefined && d.lastTime !== d.time ? `  last ${d.lastTime}` : ''}`;
    const address = d.kind === 'connect' && d.name !== undefined && d.address !== undefined ? ` (${d.address})` : '';
    return `${String(d.count).padStart(6)}×  ${d.kind.padEnd(7)}  ${describeDestination(d)}${address}${when}`;
  });
  return lines.join('\n');
}

/** `run-in-container egress [RUN|--last] [--json]`: what a run of this workdir was refused. */
export async function egressCommand(options: EgressOptions, ctx: HostContext): Promise<number> {
  if (options.run !== undefined && options.last) throw new UsageError('give either RUN or --last, not both');
  if (options.run !== undefined && !/^[0-9a-f]{1,8}$/.test(options.run)) {
    throw new UsageError(`${JSON.stringify(options.run)} is not a run id: give the 8 hex digits (or a prefix) printed in the container name, or --last`);
  }
  const workdir = (await resolveWorkdir(options.workDir, ctx)).path;
  const envDir = await resolveFuturePath(options.codexHome ?? path.join(workdir, '.codex', '.environment'), ctx.cwd, '--codex-home');
  const runs = await listEgressRuns(envDir);
  if (runs.length === 0) throw new EnvironmentError(`no egress logs in ${envDir}/egress yet: they are written when a run ends`);
  const matches = options.run === undefined ? runs.slice(0, 1) : runs.filter((run) => run.runId.startsWith(options.run ?? ''));
  if (matches.length === 0) throw new UsageError(`no run ${options.run} in ${envDir}/egress: known runs: ${runs.slice(0, 10).map((r) => r.runId).join(' ')}`);
  if (matches.length > 1) throw new UsageError(`run id prefix ${options.run} is ambiguous (${matches.map((r) => r.runId).join(' ')}): give more digits`);
  const chosen = matches[0]!;
  const { destinations, badLines } = await readEgressCopy(chosen.file);
  if (badLines > 0) process.stderr.write(`warning: ${chosen.file}: ${badLines} malformed line(s) skipped (the agent can write the Codex home)\n`);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ runId: chosen.runId, destinations })}\n`);
    return 0;
  }
  process.stdout.write(`run ${chosen.runId} (${chosen.file}):\n`);
  process.stdout.write(destinations.length === 0 ? 'nothing was blocked\n' : `${formatTable(destinations)}\n${formatEgressSummary(destinations)}\n`);
  return 0;
}
