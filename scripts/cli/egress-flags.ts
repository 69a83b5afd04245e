import type { Argv } from 'yargs';
import type { EgressFlags } from '../app/run-options.js';
import { describePresets } from '../core/presets.js';
import { readFlag, readRepeatedValues, readSingleValue } from './flag-values.js';

/** Shown under --help: the presets with their exact hosts, generated from core/presets.ts. */
export function presetsHelp(): string {
  return `Presets for --allow/--deny (HTTP/HTTPS to exactly these hosts):\n${describePresets()}`;
}

/** `--proxy URL` and `--ca-cert FILE…`: shared by the run commands and `build`. */
export function declareBuildEgressFlags<T>(yargs: Argv<T>) {
  return yargs
    .option('proxy', {
      type: 'string',
      describe: 'upstream HTTP proxy http://[user:pass@]host:port (default: HTTPS_PROXY/HTTP_PROXY, either case)',
    })
    .option('ca-cert', {
      type: 'string',
      describe: 'extra CA certificate (PEM) to trust (repeatable; also SANDBOX_CA_CERTS, NODE_EXTRA_CA_CERTS)',
    });
}

export function declareEgressFlags<T>(yargs: Argv<T>) {
  return declareBuildEgressFlags(yargs)
    .option('allow', {
      type: 'string',
      describe:
        'also allow SPEC: host, *.host (subdomains), host:port (another TCP port) or a preset ' +
        '@npm @pypi @github @maven @debian @rust @go (repeatable; see the list below)',
    })
    .option('deny', {
      type: 'string',
      describe: 'never allow SPEC, whatever allows it (e.g. --allow @github --deny gist.github.com; repeatable)',
    })
    .option('allow-host-port', {
      type: 'string',
      describe: 'let the agent reach this TCP port on the Docker host as host.docker.internal (repeatable)',
    })
    .option('provider-allow', {
      type: 'boolean',
      default: true,
      describe:
        'allow the model_providers base_url hosts of config.toml (only from a config outside the workdir); ' +
        '--no-provider-allow turns it off',
    });
}

type BuildEgressArgs = { proxy?: unknown; 'ca-cert'?: unknown };
type EgressArgs = BuildEgressArgs & { allow?: unknown; deny?: unknown; 'allow-host-port'?: unknown; 'provider-allow'?: unknown };

/** `--proxy URL --ca-cert FILE…` of `build` (and of a run's automatic build). */
export function toBuildEgressFlags(args: BuildEgressArgs): { proxy?: string; caCerts: string[] } {
  const proxy = readSingleValue(args.proxy, '--proxy');
  const caCerts = readRepeatedValues(args['ca-cert'], '--ca-cert');
  return proxy === undefined ? { caCerts } : { proxy, caCerts };
}

export function toEgressFlags(args: EgressArgs): EgressFlags {
  return {
    allow: readRepeatedValues(args.allow, '--allow'),
    deny: readRepeatedValues(args.deny, '--deny'),
    allowHostPorts: readRepeatedValues(args['allow-host-port'], '--allow-host-port'),
    ...toBuildEgressFlags(args),
    providerAllow: readFlag(args['provider-allow'], '--no-provider-allow', true),
  };
}
