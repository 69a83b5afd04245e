import { listBuildEgressArgs, type BuildEgress } from '../../core/egress/build-egress-args.js';
import { BASE_BUILD_REPOSITORY, findOverlappingSandbox, planBaseBuild, refuseProxyForProjectBuild } from '../../core/image/devcontainer.js';
import { buildListArgs } from '../../core/session/session-docker-args.js';
import { isRunning, parsePsOutput } from '../../core/session/session-list.js';
import { EnvironmentError, UsageError } from '../../core/errors.js';
import { escapeTerminalText } from '../../core/terminal-text.js';
import type { DevcontainerFile } from '../devcontainer-file.js';
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
  const running = findOverlappingSandbox(
    devcontainer.dir,
    parsePsOutput(await queryDocker(buildListArgs()))
      .filter(isRunning)
      .map((record) => ({ name: record.container, workdirs: record.workdirs })),
  );
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
