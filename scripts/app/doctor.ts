import { doctorExitCode, renderDoctorJson, renderDoctorText } from '../core/doctor-report.js';
import { DEFAULT_IMAGE, validateImageReference } from '../core/image-tags.js';
import { runDoctorChecks } from '../host/doctor-checks.js';
import type { HostContext } from '../host/host-context.js';

export interface DoctorOptions {
  json: boolean;
  workDir?: string;
  image?: string;
}

/** `run-in-container doctor [--json]`: one line per check with its fix; exit 1 when an essential one fails. */
export async function doctorCommand(options: DoctorOptions, ctx: HostContext): Promise<number> {
  const envImage = ctx.env.CODEX_DOCKER_IMAGE;
  const input = options.image ?? envImage ?? DEFAULT_IMAGE;
  // Validated: it becomes an argv element of the probe's `docker run`.
  const image = validateImageReference(input, options.image !== undefined ? '--image' : 'CODEX_DOCKER_IMAGE');
  const checks = await runDoctorChecks(ctx, { workDir: options.workDir, image });
  process.stdout.write(options.json ? renderDoctorJson(checks) : renderDoctorText(checks));
  return doctorExitCode(checks);
}
