import type { Argv } from 'yargs';
import { UsageError } from '../core/errors.js';
import { readRepeatedValues } from './flag-values.js';
import { describePresets } from '../core/presets.js';

/** Egress flags of the default command and `shell` (issue 5). */
export interface EgressOptions {
  allow: string[];
  deny: string[];
  allowHostPorts: string[];
  proxy?: string;
  caCerts: string[];
  /** `--no-provider-allow` turns off the automatic model-provider hosts. */
  providerAllow: boolean;
}

/** Shown under --help: the presets with their exact hosts, generated from core/presets.ts. */
export function presetsHelp(): string {
  return `Presets for --allow/--deny (HTTP/HTTPS to exactly these hosts):\n${describePresets()}`;
}

export function declareEgressOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('allow', {
      type: 'string',
      describe: 'also allow SPEC: host, *.host (subdomains), host:port (another TCP port) or a preset @npm @pypi @github @maven @debian @rust @go (repeatable; see the list below)',
    })
    .option('deny', { type: 'string', describe: 'never allow SPEC, whatever allows it (e.g. --allow @github --deny gist.github.com; repeatable)' })
    .option('allow-host-port', { type: 'string', describe: 'let the agent reach this TCP port on the Docker host as host.docker.internal (repeatable)' })
    .option('proxy', { type: 'string', describe: 'upstream HTTP proxy http://[user:pass@]host:port (default: HTTPS_PROXY/HTTP_PROXY, either case)' })
    .option('ca-cert', { type: 'string', describe: 'extra CA certificate (PEM) to trust inside the sandbox (repeatable; also SANDBOX_CA_CERTS, NODE_EXTRA_CA_CERTS)' })
    .option('provider-allow', {
      type: 'boolean',
      default: true,
      describe: 'allow the model_providers base_url hosts of config.toml (only from a config outside the workdir); --no-provider-allow turns it off',
    });
}

export function toEgressOptions(argv: Record<string, unknown>): EgressOptions {
  const proxy = argv.proxy;
  if (Array.isArray(proxy)) throw new UsageError('--proxy was given more than once: give it once');
  if (proxy !== undefined && (typeof proxy !== 'string' || proxy === '')) throw new UsageError('--proxy needs a URL: use http://host:port');
  return {
    allow: readRepeatedValues(argv.allow, '--allow'),
    deny: readRepeatedValues(argv.deny, '--deny'),
    allowHostPorts: readRepeatedValues(argv['allow-host-port'], '--allow-host-port'),
    proxy,
    caCerts: readRepeatedValues(argv['ca-cert'], '--ca-cert'),
    providerAllow: argv['provider-allow'] !== false,
  };
}

/** `build --proxy URL --ca-cert FILE…`. */
export function toBuildEgressOptions(argv: Record<string, unknown>): { proxy?: string; caCerts: string[] } {
  const { proxy, caCerts } = toEgressOptions({ proxy: argv.proxy, 'ca-cert': argv['ca-cert'] });
  return proxy === undefined ? { caCerts } : { proxy, caCerts };
}
