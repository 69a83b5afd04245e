import { AGENT_IDS, type AgentId } from '../core/agents/agents.js';
import { doctorExitCode, renderDoctorJson, renderDoctorText } from '../core/doctor-report.js';
import { DEFAULT_IMAGE, validateImageReference } from '../core/image/image-tags.js';
import { runDoctorChecks } from '../host/doctor-checks.js';
import type { HostContext } from '../host/host-context.js';

export interface DoctorOptions {
  json: boolean;
  /** `--agent`: check that agent only; absent: every agent of the registry (R127). */
  agent?: AgentId;
  workDir?: string;
  image?: string;
}

/** `run-in-container doctor [--json]`: one line per check with its fix; exit 1 when an essential one fails. */
export async function doctorCommand(options: DoctorOptions, ctx: HostContext): Promise<number> {
  const envImage = ctx.env.CODEX_DOCKER_IMAGE;
  const input = options.image ?? envImage ?? DEFAULT_IMAGE;
  // Validated: it becomes an argv element of the probe's `docker run`.
  const image = validateImageReference(input, options.image !== undefined ? '--image' : 'CODEX_DOCKER_IMAGE');
  const agents = options.agent === undefined ? AGENT_IDS : [options.agent];
  const checks = await runDoctorChecks(ctx, { workDir: options.workDir, image, agents });
  process.stdout.write(options.json ? renderDoctorJson(checks) : renderDoctorText(checks));
  return doctorExitCode(checks);
}
