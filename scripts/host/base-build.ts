import { listBuildEgressArgs, type BuildEgress } from '../core/build-egress-args.js';
import { LABELS } from '../core/container-identity.js';
import { BASE_BUILD_REPOSITORY, findOverlappingSandbox, planBaseBuild, refuseProxyForProjectBuild } from '../core/devcontainer.js';
import { SESSION_LABELS } from '../core/session-identity.js';
import { EnvironmentError, UsageError } from '../core/errors.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import type { DevcontainerFile } from './devcontainer-file.js';
import { buildDockerImage, queryDocker } from './docker.js';

/**
 * The base a devcontainer names (R188): its image as is, or its Dockerfile built first with
 * the engine (`docker build -f FILE --build-arg K=V … CONTEXT`, through the build's proxy),
 * tagged `codex-sandbox-base:<hash of the inputs>` so an unchanged one is found in the cache.
 */
export async function buildDevcontainerBase(devcontainer: DevcontainerFile, egress: BuildEgress | undefined): Promise<string> {
  const { base, paths, inputsHash } = devcontainer;
  if (base.kind === 'image') return base.image;
  if (paths === undefined || inputsHash === undefined) throw new EnvironmentError('the devcontainer was not resolved: report this');
  refuseProxyForProjectBuild(egress?.proxy);
  const running = await findOverlappingSandbox(devcontainer.dir, await listRunningSandboxes());
  if (running !== undefined) {
    throw new UsageError(
      `${escapeTerminalText(running)} is running on ${escapeTerminalText(devcontainer.dir)}: its agent could swap the Dockerfile or the ` +
        'build context while the engine reads them; stop it first (run-in-container stop / destroy)',
    );
  }
  const tag = `${BASE_BUILD_REPOSITORY}:${inputsHash}`;
  const proxy = listBuildEgressArgs({ ...(egress?.proxy === undefined ? {} : { proxy: egress.proxy }) });
  process.stderr.write(`building the devcontainer's base ${tag} from ${escapeTerminalText(paths.dockerfile)}\n`);
  const { ok, tail } = await buildDockerImage(planBaseBuild(base, paths, tag, proxy.args), undefined, proxy.env);
  if (!ok) {
    throw new EnvironmentError(
      `building ${escapeTerminalText(paths.dockerfile)} failed: ${tail.slice(-3).join(' | ')} (full output above)`,
    );
  }
  return tag;
}

/** Running sandbox containers and the workdirs their labels name (one `ps`). */
async function listRunningSandboxes(): Promise<Array<{ name: string; workdirs: string[] }>> {
  const format = `{{json .Names}}\t{{json (.Label "${LABELS.workdir}")}}\t{{json (.Label "${SESSION_LABELS.workdirs}")}}`;
  const out = await queryDocker(['ps', '--filter', `label=${LABELS.managed}=true`, '--filter', 'status=running', '--format', format]);
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [name, workdir, workdirs] = line.split('\t').map((field) => JSON.parse(field) as unknown);
      const many = typeof workdirs === 'string' && workdirs !== '' ? (JSON.parse(workdirs) as unknown) : [];
      const list = [workdir, ...(Array.isArray(many) ? many : [])].filter(
        (entry): entry is string => typeof entry === 'string' && entry !== '',
      );
      return { name: String(name), workdirs: list };
    });
}
