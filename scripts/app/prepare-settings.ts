import { DEFAULT_AGENT, type AgentId } from '../core/agents/agents.js';
import type { EgressLayer } from '../core/egress/egress-policy.js';
import { DEFAULT_IMAGE, validateImageReference } from '../core/image/image-tags.js';
import { parseNoInspect } from '../core/run/run-secrets.js';
import { SETTINGS_FILE_KEYS, type SettingsLayer } from '../core/settings.js';
import { mergeSettings, toEgressLayer } from '../core/settings-merge.js';
import type { HostContext } from '../host/host-context.js';
import { readProjectSettings, readUserSettings, resolveSettingsPaths, type SettingsFile } from '../host/settings-file.js';
import type { RunOptions } from './run-options.js';

export interface PreparedSettings {
  image: string;
  /** `--agent`, else `[run] agent` of the project file, then the user file, else codex (R120). */
  agent: AgentId;
  initScript?: string;
  readOnly: string[];
  /** `--no-inspect`, `[network] no_inspect` of the project, then the user file: lists add up (R160). */
  noInspect: string[];
  /** `[network] ask = true` of the project, else the user file (R172). */
  ask: boolean;
  /** The files' network keys, project first, for prepareEgress (which merges them). */
  egressLayers: EgressLayer[];
  /** `[build] base_image` of the project, else the user file (R191); validated when read. */
  baseImage?: string;
  /** Needs trust before the run when it sets anything (cli/trust-command.ts). */
  projectFile?: SettingsFile;
}

/**
 * Reads `WORKDIR/.codex/sandbox.ini` and `~/.config/codex-sandbox/config.ini` and merges
 * them with the flags and the environment (core/settings-merge.ts). Changes nothing.
 * `withoutProject`: the project file is read (and returned) but not applied, as a run would be
 * without it (`egress check` of an untrusted file, R169).
 */
export async function prepareSettings(
  options: RunOptions,
  ctx: HostContext,
  workdir: string,
  use: { withoutProject?: boolean } = {},
): Promise<PreparedSettings> {
  const projectFile = await readProjectSettings(workdir);
  const project = use.withoutProject === true ? undefined : projectFile;
  const user = await readUserSettings(ctx);
  const envImage = ctx.env.CODEX_DOCKER_IMAGE;
  const flags: SettingsLayer = {
    ...(options.image === undefined ? {} : { image: options.image }),
    ...(options.initScript === undefined ? {} : { initScript: options.initScript }),
    ...(options.readOnly.length === 0 ? {} : { readOnly: options.readOnly }),
    ...(options.agent === undefined ? {} : { agent: options.agent }),
    ...(options.egress.noInspect.length === 0 ? {} : { noInspect: parseNoInspect(options.egress.noInspect, '--no-inspect') }),
  };
  const environment: SettingsLayer = envImage === undefined ? {} : { image: envImage };
  const merged = mergeSettings({
    flags,
    environment,
    project: resolveSettingsPaths(project, ctx.home),
    user: resolveSettingsPaths(user, ctx.home),
  });
  const imageSource = merged.sources.image[0];
  const imageWhat =
    imageSource === 'flag'
      ? '--image'
      : imageSource === 'environment'
        ? 'CODEX_DOCKER_IMAGE'
        : `${(imageSource === 'project file' ? project : user)?.path ?? ''} ${SETTINGS_FILE_KEYS.image}`;
  return {
    image: validateImageReference(merged.values.image ?? DEFAULT_IMAGE, imageWhat),
    initScript: merged.values.initScript,
    // Parsed when read (core/settings.ts): a settings file names a registry id or is refused.
    agent: (merged.values.agent as AgentId | undefined) ?? DEFAULT_AGENT,
    readOnly: merged.values.readOnly,
    noInspect: merged.values.noInspect,
    ask: merged.values.ask === 'true',
    ...(merged.values.baseImage === undefined ? {} : { baseImage: merged.values.baseImage }),
    egressLayers: [
      ...(project === undefined ? [] : [toEgressLayer(project.layer, project.path)]),
      ...(user === undefined ? [] : [toEgressLayer(user.layer, user.path)]),
    ],
    ...(projectFile === undefined ? {} : { projectFile }),
  };
}
