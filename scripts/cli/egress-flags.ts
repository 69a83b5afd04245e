import type { Argv } from 'yargs';
import type { EgressFlags } from '../app/run-options.js';
import { describePresets } from '../core/egress/presets.js';
import { UsageError } from '../core/errors.js';
import { DEFAULT_ASK_SECONDS, parseAskTimeout } from '../core/egress/live-policy.js';
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
  return (
    declareBuildEgressFlags(yargs)
      .option('allow', {
        type: 'string',
        describe:
          'also allow SPEC: host, *.host (subdomains), host:port (another TCP port), a preset ' +
          "@npm @pypi @github @maven @debian @rust @go (see the list below), or a rule: 'GET,HEAD host' (those methods only), " +
          "'host/path/*' (that path prefix only) (repeatable)",
      })
      .option('deny', {
        type: 'string',
        describe: 'never allow SPEC, whatever allows it (e.g. --allow @github --deny gist.github.com; repeatable)',
      })
      .option('allow-host-port', {
        type: 'string',
        describe: 'let the agent reach this TCP port on the Docker host as host.docker.internal (repeatable)',
      })
      .option('no-inspect', {
        type: 'string',
        describe:
          "don't open TLS to HOST or *.HOST (pinned certificates, mutual TLS): it passes through the name check only, " +
          'and no credential can be injected there (repeatable, comma-separated)',
      })
      .option('ask', {
        type: 'boolean',
        describe:
          'hold a connection to a name not yet decided (up to --ask-timeout) while you answer in `run-in-container approve` ' +
          '(another terminal); no answer: refused',
      })
      .option('ask-timeout', { type: 'string', describe: 'how long --ask holds a name (default 30s; 1s to 120s)' })
      .option('read-only-web', {
        type: 'boolean',
        describe: "only GET, HEAD and OPTIONS to every host but the agent's own API and login hosts (inspected hosts)",
      })
      // `--no-inspect` without a value reaches yargs as the negation of this hidden flag.
      .option('inspect', { type: 'boolean', hidden: true })
      .option('provider-allow', {
        type: 'boolean',
        default: true,
        describe:
          'allow the model_providers base_url hosts of config.toml (only from a config outside the workdir); ' +
          '--no-provider-allow turns it off',
      })
  );
}

type BuildEgressArgs = { proxy?: unknown; 'ca-cert'?: unknown };
type EgressArgs = BuildEgressArgs & {
  allow?: unknown;
  deny?: unknown;
  'allow-host-port'?: unknown;
  'provider-allow'?: unknown;
  'no-inspect'?: unknown;
  inspect?: unknown;
  'read-only-web'?: unknown;
  ask?: unknown;
  'ask-timeout'?: unknown;
};

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
    noInspect: readNoInspect(args),
    ...(readFlag(args['read-only-web'], '--read-only-web') ? { readOnlyWeb: true } : {}),
    ...readAsk(args),
    ...toBuildEgressFlags(args),
    providerAllow: readFlag(args['provider-allow'], '--no-provider-allow', true),
  };
}

/** `--ask [--ask-timeout T]` (R172): seconds a name not yet decided is held. */
function readAsk(args: EgressArgs): { ask?: number } {
  const timeout = readSingleValue(args['ask-timeout'], '--ask-timeout');
  if (!readFlag(args.ask, '--ask')) {
    if (timeout !== undefined) throw new UsageError('--ask-timeout goes with --ask: add --ask, or drop --ask-timeout');
    return {};
  }
  return { ask: timeout === undefined ? DEFAULT_ASK_SECONDS : parseAskTimeout(timeout) };
}

/** `--no-inspect HOST…` (R160): checked as host patterns later, with the settings files' (app/prepare-settings.ts). */
function readNoInspect(args: EgressArgs): string[] {
  if (args.inspect !== undefined) throw new UsageError('--no-inspect needs a host: --no-inspect HOST (or *.HOST)');
  return readRepeatedValues(args['no-inspect'], '--no-inspect');
}

/**
 * yargs reads `--no-inspect HOST` as "inspect: false" and HOST as a word of its own (its
 * boolean negation, which `--no-provider-allow` needs): the value is joined to the flag
 * first. Words after `--` are the agent's and stay as they are.
 */
export function joinNoInspectValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index] ?? '';
    if (word === '--') return [...out, ...argv.slice(index)];
    const next = argv[index + 1];
    if (word === '--no-inspect' && next !== undefined && !next.startsWith('-')) {
      out.push(`--no-inspect=${next}`);
      index++;
    } else {
      out.push(word);
    }
  }
  return out;
}
