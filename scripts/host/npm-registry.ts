import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BuildEgress } from '../core/egress/build-egress-args.js';
import { EnvironmentError } from '../core/errors.js';
import { planNpmViewInContainer } from '../core/image/npm-view.js';
import { parseNpmViewVersion } from '../core/image/image-update.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import { provideDockerEnv, queryDocker } from './engine/docker.js';

const NPM_TIMEOUT_MS = 60000;

/** `npm view PKG version --json` with the host's npm (its config, npm_config_registry); undefined when npm is not on PATH. */
function viewWithHostNpm(pkg: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    execFile('npm', ['view', pkg, 'version', '--json'], { env, timeout: NPM_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else if ((error as { code?: unknown }).code === 'ENOENT') resolve(undefined);
      else {
        const why = stderr.trim().split('\n').pop() ?? error.message;
        reject(new EnvironmentError(`npm view ${pkg} failed: ${escapeTerminalText(why.slice(0, 200))}`));
      }
    });
  });
}

async function viewInContainer(pkg: string, image: string, env: NodeJS.ProcessEnv, egress: BuildEgress | undefined): Promise<string> {
  const caPem = egress?.caPem;
  const dir = caPem === undefined ? undefined : await mkdtemp(path.join(os.tmpdir(), 'codex-sandbox-npm-ca-'));
  try {
    const caFile = dir === undefined ? undefined : path.join(dir, 'ca.pem');
    if (caFile !== undefined) await writeFile(caFile, caPem ?? '', { mode: 0o644 });
    const plan = planNpmViewInContainer({ image, pkg, registry: env.npm_config_registry, egress, caFile });
    provideDockerEnv(plan.env, true);
    return await queryDocker(plan.args, NPM_TIMEOUT_MS * 2);
  } finally {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The registry's latest version of `pkg` (R192): the host's npm when it is on PATH, else npm
 * in a throwaway container of `image` through the build's proxy and CAs.
 */
export async function lookupLatestVersion(
  pkg: string,
  fallback: { image: string; egress?: BuildEgress },
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const stdout = (await viewWithHostNpm(pkg, env)) ?? (await viewInContainer(pkg, fallback.image, env, fallback.egress));
  return parseNpmViewVersion(stdout, pkg);
}
