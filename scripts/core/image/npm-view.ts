import { listBuildEgressArgs, type BuildEgress } from '../egress/build-egress-args.js';

/** Where the CA bundle of `build --ca-cert` is mounted for the lookup (R192). */
export const NPM_VIEW_CA_TARGET = '/tmp/codex-sandbox-extra-ca.pem';

export interface NpmViewInContainer {
  /** `docker` arguments. */
  args: string[];
  /** Values passed by name (`-e NAME`): the proxy's URL may hold a login (R84). */
  env: Record<string, string>;
}

function isLoopbackUrl(url: string | undefined): boolean {
  if (url === undefined) return false;
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
  } catch {
    return false;
  }
}

/**
 * `npm view PKG version --json` in a throwaway container of `image` (R192), for a host without
 * npm: through the build's proxy and CAs (the same egress `build` uses), and the host's
 * `npm_config_registry` when set; a proxy or registry on the host's loopback needs the
 * host's network, as the build does.
 */
export function planNpmViewInContainer(input: {
  image: string;
  pkg: string;
  registry?: string;
  egress?: BuildEgress;
  caFile?: string;
}): NpmViewInContainer {
  const egress = listBuildEgressArgs(input.egress ?? {});
  const env: Record<string, string> = { ...egress.env };
  if (input.registry !== undefined && input.registry !== '') env.npm_config_registry = input.registry;
  const hostNetwork = egress.args.includes('host') || isLoopbackUrl(input.registry);
  const args = ['run', '--rm', ...(hostNetwork ? ['--network', 'host'] : [])];
  for (const name of Object.keys(env)) args.push('-e', name);
  if (input.caFile !== undefined) {
    args.push('--mount', `type=bind,source=${input.caFile},target=${NPM_VIEW_CA_TARGET},readonly`);
    args.push('-e', `NODE_EXTRA_CA_CERTS=${NPM_VIEW_CA_TARGET}`);
  }
  args.push('--entrypoint', 'npm', input.image, 'view', input.pkg, 'version', '--json');
  return { args, env };
}
