import { UsageError } from '../core/errors.js';
import { validateImageReference } from '../core/image/image-tags.js';
import { SETTINGS_FILE_KEYS } from '../core/settings.js';
import type { HostContext } from '../host/host-context.js';
import { readProjectSettings, readUserSettings, resolveProjectPaths } from '../host/settings-file.js';
import { ensureProjectSettingsTrusted } from './trust-check.js';

/** Where `build`'s base came from, for the progress line. */
export interface ChosenBase {
  image?: string;
  source: string;
}

/**
 * The base of `build` without --from-devcontainer (R191): --base-image > SANDBOX_BASE_IMAGE >
 * `[build] base_image` of the current directory's `.codex/sandbox.ini` (trusted first, R75: a
 * base decides everything below the entrypoint) > the user's config.ini > the standard
 * `node:<N>-bookworm-slim` (absent image).
 */
export async function chooseBuildBase(flag: string | undefined, ctx: HostContext): Promise<ChosenBase> {
  if (flag !== undefined) return { image: validateImageReference(flag, '--base-image'), source: '--base-image' };
  const env = ctx.env.SANDBOX_BASE_IMAGE;
  if (env !== undefined) return { image: validateImageReference(env, 'SANDBOX_BASE_IMAGE'), source: 'SANDBOX_BASE_IMAGE' };
  const project = await readProjectSettings(ctx.cwd);
  if (project?.layer.baseImage !== undefined) {
    const resolved = await resolveProjectPaths(project, ctx.home, ctx.cwd, [ctx.cwd]);
    await ensureProjectSettingsTrusted({ file: project, resolved }, ctx.cwd, ctx, { interactive: ctx.stdinIsTTY, dryRun: false });
    return { image: project.layer.baseImage, source: `${project.path} ${SETTINGS_FILE_KEYS.baseImage}` };
  }
  const user = await readUserSettings(ctx);
  if (user?.layer.baseImage !== undefined) return { image: user.layer.baseImage, source: `${user.path} ${SETTINGS_FILE_KEYS.baseImage}` };
  return { source: 'default' };
}

/** --base-image and --from-devcontainer both name the base (R187): one of them. */
export function refuseTwoBases(baseImage: string | undefined, fromDevcontainer: string | undefined): void {
  if (baseImage !== undefined && fromDevcontainer !== undefined) {
    throw new UsageError('--base-image and --from-devcontainer both choose the base image: give one of them');
  }
}
