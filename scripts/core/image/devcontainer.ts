import { UsageError } from '../errors.js';
import type { ProxySpec } from '../egress/proxy-spec.js';
import { validateImageReference } from './image-tags.js';

/**
 * What `build --from-devcontainer DIR` takes from a devcontainer.json (R187, R188): the
 * base image, or a Dockerfile to build first. Paths are '/'-separated, relative to DIR and
 * already checked to stay inside it (the host then checks that no symlink leads out).
 */
export type DevcontainerBase =
  | { kind: 'image'; image: string }
  | { kind: 'dockerfile'; dockerfile: string; context: string; args: Record<string, string>; target?: string };

export interface DevcontainerChoice {
  base: DevcontainerBase;
  /** Parts of the file the sandbox does not apply (features, …): one warning each. */
  warnings: string[];
}

/** Where the file was found: `configDir` is its folder relative to DIR ('.devcontainer' or '.'), `file` names it in messages. */
export interface DevcontainerWhere {
  file: string;
  configDir: string;
}

/** The spec's variables (`${localEnv:X}`, `${localWorkspaceFolder}` …) would need the editor's context: refused, not guessed. */
const SPEC_VARIABLE = /\$\{(localEnv|containerEnv|localWorkspaceFolder|containerWorkspaceFolder|devcontainerId)[^}]*\}/;
const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const TARGET = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const MAX_VALUE = 4096;

/**
 * `input` (relative to `configDir`, as the devcontainer spec says) as a normalized path
 * relative to DIR. Absolute paths and any `..` that climbs out of DIR are refused (R188):
 * the file comes from the project, which the user may not have written.
 */
export function resolveUnderDir(configDir: string, input: string, what: string): string {
  if (input.trim() === '' || input.includes('\0')) throw new UsageError(`${what} is empty: give a path inside the project`);
  if (input.startsWith('/') || input.startsWith('\\') || /^[A-Za-z]:/.test(input)) {
    throw new UsageError(`${what} ${JSON.stringify(input)} is an absolute path: give a path relative to the .devcontainer folder`);
  }
  const parts: string[] = [];
  for (const part of [...configDir.split('/'), ...input.split(/[/\\]/)]) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) throw new UsageError(`${what} ${JSON.stringify(input)} leads outside the project directory: keep it inside`);
      parts.pop();
    } else parts.push(part);
  }
  return parts.length === 0 ? '.' : parts.join('/');
}

function readString(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new UsageError(`${what} is not a string: fix it`);
  if (value.length > MAX_VALUE) throw new UsageError(`${what} is longer than ${MAX_VALUE} characters: fix it`);
  if (SPEC_VARIABLE.test(value)) {
    throw new UsageError(
      `${what} uses a devcontainer variable (${SPEC_VARIABLE.exec(value)?.[0] ?? ''}), which the sandbox does not expand`,
    );
  }
  return value;
}

function readBuildArgs(value: unknown, what: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${what} is not an object: fix it`);
  const args: Record<string, string> = {};
  for (const [name, raw] of Object.entries(value)) {
    if (!BUILD_ARG_NAME.test(name)) throw new UsageError(`${what} has a bad name ${JSON.stringify(name.slice(0, 40))}: fix it`);
    args[name] = readString(raw, `${what}.${name}`) ?? '';
  }
  return args;
}

function readBuild(config: Record<string, unknown>, where: DevcontainerWhere): DevcontainerBase | undefined {
  const build = config.build;
  if (build !== undefined && (typeof build !== 'object' || build === null || Array.isArray(build))) {
    throw new UsageError(`${where.file}: "build" is not an object: fix it`);
  }
  const section = (build ?? {}) as Record<string, unknown>;
  // `dockerFile` and `context` at the top level: the spec's older spelling.
  const dockerfile = readString(section.dockerfile ?? section.dockerFile ?? config.dockerFile, `${where.file}: build.dockerfile`);
  if (dockerfile === undefined) return undefined;
  const context = readString(section.context ?? config.context, `${where.file}: build.context`) ?? '.';
  const target = readString(section.target, `${where.file}: build.target`);
  if (target !== undefined && !TARGET.test(target))
    throw new UsageError(`${where.file}: build.target ${JSON.stringify(target)} is not a stage name`);
  return {
    kind: 'dockerfile',
    dockerfile: resolveUnderDir(where.configDir, dockerfile, `${where.file}: build.dockerfile`),
    context: resolveUnderDir(where.configDir, context, `${where.file}: build.context`),
    args: readBuildArgs(section.args, `${where.file}: build.args`),
    ...(target === undefined ? {} : { target }),
  };
}

/** The base a devcontainer.json names, or a one-line UsageError saying what is wrong with it (R188). */
export function chooseDevcontainerBase(config: unknown, where: DevcontainerWhere): DevcontainerChoice {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new UsageError(`${where.file} is not a JSON object: it should look like {"image": "…"} or {"build": {"dockerfile": "…"}}`);
  }
  const fields = config as Record<string, unknown>;
  if (fields.dockerComposeFile !== undefined) {
    throw new UsageError(
      `${where.file} uses dockerComposeFile, which the sandbox does not support: give it an "image" or a "build.dockerfile"`,
    );
  }
  const image = readString(fields.image, `${where.file}: image`);
  const built = readBuild(fields, where);
  if (image !== undefined && built !== undefined) {
    throw new UsageError(`${where.file} sets both "image" and "build.dockerfile": keep one`);
  }
  if (image === undefined && built === undefined) {
    throw new UsageError(`${where.file} has neither "image" nor "build.dockerfile": add one (see docs/toolchain-image.md)`);
  }
  const warnings: string[] = [];
  const features = fields.features;
  if (typeof features === 'object' && features !== null && Object.keys(features).length > 0) {
    warnings.push(`${where.file}: "features" are not installed in the sandbox image (only its image or Dockerfile is used)`);
  }
  return { base: built ?? { kind: 'image', image: validateImageReference(image ?? '', `${where.file}: image`) }, warnings };
}

/**
 * `docker build` arguments of a devcontainer's Dockerfile (R188): the base the sandbox is then
 * built on. `dockerfile` and `context` are absolute (checked by the host); args go by value
 * (devcontainer build args are project settings, not secrets).
 */
export function planBaseBuild(
  base: Extract<DevcontainerBase, { kind: 'dockerfile' }>,
  paths: { dockerfile: string; context: string },
  tag: string,
  egressArgs: readonly string[],
): string[] {
  const args = ['-t', tag, '--label', BASE_BUILD_LABEL, '-f', paths.dockerfile];
  for (const [name, value] of Object.entries(base.args)) args.push('--build-arg', `${name}=${value}`);
  if (base.target !== undefined) args.push('--target', base.target);
  return [...args, ...egressArgs, paths.context];
}

/** Images the launcher built from a devcontainer's Dockerfile (a base, not a sandbox image). */
export const BASE_BUILD_REPOSITORY = 'codex-sandbox-base';
export const BASE_BUILD_LABEL = 'codex-sandbox.base-build=1';

/**
 * The project's Dockerfile is the agent's to change (R188): its build gets the proxy only when
 * that carries no login and needs no host network; otherwise one line says how to go on.
 */
export function refuseProxyForProjectBuild(proxy: ProxySpec | undefined): void {
  if (proxy === undefined) return;
  if (proxy.credentials !== undefined) {
    throw new UsageError(
      `the devcontainer's Dockerfile is the project's (an agent can change it), so its build is not given your proxy login ` +
        `(${proxy.source}): build that base yourself and pass it with --base-image, or use a proxy without a login`,
    );
  }
  if (proxy.viaHostGateway) {
    throw new UsageError(
      `the devcontainer's Dockerfile is the project's (an agent can change it), so its build does not get the host's network ` +
        `that a proxy on the host's loopback (${proxy.redacted}) needs: build that base yourself and pass it with --base-image`,
    );
  }
}

/** A running sandbox whose mounts overlap DIR, by its labels' workdirs: an agent there could swap the build's paths (R188). */
export function findOverlappingSandbox(
  dir: string,
  running: ReadonlyArray<{ name: string; workdirs: readonly string[] }>,
): string | undefined {
  const overlaps = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  return running.find((sandbox) => sandbox.workdirs.some((workdir) => overlaps(workdir, dir)))?.name;
}
