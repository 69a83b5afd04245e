import type { Argv } from 'yargs';
import type { LoginOptions } from '../app/login.js';
import { AGENT_IDS, DEFAULT_AGENT } from '../core/agents/agents.js';
import { declareBuildEgressFlags, toBuildEgressFlags } from './egress-flags.js';
import { readAgentFlag, readFlag, readPassThrough, readRepeatedValues, readSingleValue, refuseExtraWords } from './flag-values.js';

/** `login`'s flags (R135-R138): the method, where to save, and the sandbox flags a login can use. */
export function declareLoginFlags<T>(yargs: Argv<T>) {
  return declareBuildEgressFlags(yargs)
    .option('agent', { type: 'string', describe: `agent to log in: ${AGENT_IDS.join(', ')} (default codex)` })
    .option('device-auth', { type: 'boolean', describe: 'Codex: sign in with a code shown on the terminal (no browser callback)' })
    .option('with-api-key', {
      type: 'boolean',
      describe: 'read an API key from stdin (typed without echo on a terminal) and store it instead of signing in',
    })
    .option('save-to', { type: 'string', describe: 'write the login file into DIR (e.g. ~/.codex) instead of the credential store' })
    .option('force', { type: 'boolean', describe: 'with --save-to: replace an existing login file' })
    .option('image', { type: 'string', describe: 'sandbox image (default CODEX_DOCKER_IMAGE or codex-sandbox:latest)' })
    .option('network', { type: 'string', describe: 'attach the login sandbox to an existing docker network' })
    .option('allow', { type: 'string', describe: "also allow SPEC during the login, besides the agent's login hosts (repeatable)" })
    .option('deny', { type: 'string', describe: 'never allow SPEC during the login (repeatable)' });
}

/** The sandbox flags that were given, by name: refused where no sandbox starts. */
const SANDBOX_FLAGS = ['image', 'network', 'allow', 'deny', 'proxy', 'ca-cert'] as const;

export function toLoginOptions(argv: Record<string, unknown>): LoginOptions {
  refuseExtraWords(argv._ as unknown[] | undefined, 1, 'pass arguments for the login command after --');
  const saveTo = readSingleValue(argv['save-to'], '--save-to', { allowEmpty: true });
  const image = readSingleValue(argv.image, '--image');
  const network = readSingleValue(argv.network, '--network');
  return {
    agent: readAgentFlag(argv.agent).agent ?? DEFAULT_AGENT,
    deviceAuth: readFlag(argv['device-auth'], '--device-auth'),
    withApiKey: readFlag(argv['with-api-key'], '--with-api-key'),
    ...(saveTo === undefined ? {} : { saveTo }),
    force: readFlag(argv.force, '--force'),
    ...(image === undefined ? {} : { image }),
    ...(network === undefined ? {} : { network }),
    egress: {
      allow: readRepeatedValues(argv.allow, '--allow'),
      deny: readRepeatedValues(argv.deny, '--deny'),
      // The same --proxy/--ca-cert reading as build's: the login's automatic build uses them too.
      ...toBuildEgressFlags(argv),
    },
    passThrough: readPassThrough(argv['--']),
    sandboxFlags: SANDBOX_FLAGS.filter((name) => argv[name] !== undefined).map((name) => `--${name}`),
  };
}
