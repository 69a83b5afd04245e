import path from 'node:path';
import { AGENT_IDS, AGENTS, DEFAULT_AGENT, type AgentId } from '../../core/agents/agents.js';
import { buildCommandFor } from '../../core/image/image-tags.js';
import { readImageAgents } from '../../core/image/image-labels.js';
import type { DoctorCheck } from '../../core/doctor-report.js';
import { inspectAgentHome } from './agent-home.js';
import type { HostContext } from '../host-context.js';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Per agent (R127): is it in the image (its version label), and where would a run's login or
 * key come from (the run's own search, read only; key values never shown). The default agent's
 * login is the `auth` check. None of these is essential: a run builds a missing agent itself.
 */
export async function checkAgent(
  ctx: HostContext,
  image: string,
  labels: Readonly<Record<string, string>> | undefined,
  workdir: string | undefined,
  id: AgentId,
): Promise<DoctorCheck[]> {
  const spec = AGENTS[id];
  const checks: DoctorCheck[] = [];
  if (labels !== undefined) {
    const has = readImageAgents(labels);
    const version = has[id];
    // The agents the image has plus this one, as a run would rebuild it (R132): none dropped.
    const build = buildCommandFor([...AGENT_IDS.filter((other) => has[other] !== undefined), id]);
    checks.push(
      version !== undefined
        ? { check: `agent ${id}`, ok: true, detail: `${spec.title} ${version} in ${image}`, fix: '', essential: false }
        : {
            check: `agent ${id}`,
            ok: false,
            detail: `${spec.title} is not in ${image}`,
            fix: `a run with --agent ${id} builds it first, or run \`${build}\``,
            essential: false,
          },
    );
  }
  // The default agent's login is doctor's `auth` check (host/doctor-checks.ts), with the same search.
  if (id !== DEFAULT_AGENT && workdir !== undefined) checks.push(await checkAgentLogin(ctx, id, workdir));
  return checks;
}

async function checkAgentLogin(ctx: HostContext, id: AgentId, workdir: string): Promise<DoctorCheck> {
  const spec = AGENTS[id];
  const check = `login ${id}`;
  try {
    const envDir = path.join(workdir, '.codex', '.environment');
    const home = await inspectAgentHome({ agent: id, workdir, envDir, sessionsDir: path.join(envDir, 'sessions'), trees: [workdir], ctx });
    const sources = [
      ...(home.credentialFile === undefined ? [] : [`${home.credentialFile} (mounted read-only)`]),
      ...home.passEnv.filter((name) => /KEY|TOKEN/.test(name)).map((name) => `${name} from your environment`),
      ...Object.keys(home.secretEnv).map((name) => `${name} from the key stored by run-in-container login`),
    ];
    if (sources.length > 0) return { check, ok: true, detail: sources.join('; '), fix: '', essential: false };
    const key = spec.storedKeyEnv === undefined ? '' : `, or set ${spec.storedKeyEnv}`;
    return {
      check,
      ok: false,
      detail: `no ${spec.title} login or API key found`,
      fix: `run \`run-in-container login --agent ${id}\`${key}`,
      essential: false,
    };
  } catch (error) {
    return { check, ok: false, detail: messageOf(error), fix: 'fix the path named', essential: false };
  }
}
