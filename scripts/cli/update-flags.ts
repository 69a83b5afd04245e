import type { Argv } from 'yargs';
import type { UpdateOptions } from '../app/update.js';
import { AGENT_IDS } from '../core/agents/agents.js';
import { declareBuildEgressFlags, toBuildEgressFlags } from './egress-flags.js';
import { readFlag, readSingleValue, refuseExtraWords } from './flag-values.js';

/** `update`'s flags (R192-R194): which agents, which image, a dry run, and the build's proxy and CAs. */
export function declareUpdateFlags<T>(yargs: Argv<T>) {
  return declareBuildEgressFlags(yargs)
    .option('agents', {
      type: 'string',
      describe: `agents to update, comma separated: ${AGENT_IDS.join(', ')} (default: all the image has)`,
    })
    .option('image', { type: 'string', describe: 'sandbox image to update (default codex-sandbox:latest)' })
    .option('dry-run', { type: 'boolean', describe: 'print what would be rebuilt; build nothing' });
}

export function toUpdateOptions(args: Record<string, unknown>): UpdateOptions {
  refuseExtraWords(args._ as unknown[] | undefined);
  return {
    agents: readSingleValue(args.agents, '--agents'),
    image: readSingleValue(args.image, '--image'),
    dryRun: readFlag(args['dry-run'], '--dry-run'),
    ...toBuildEgressFlags(args),
  };
}
