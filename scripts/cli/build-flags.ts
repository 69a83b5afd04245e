import type { Argv } from 'yargs';
import type { BuildOptions } from '../app/build.js';
import { AGENT_IDS, AGENTS, type AgentId } from '../core/agents/agents.js';
import { declareBuildEgressFlags, toBuildEgressFlags } from './egress-flags.js';
import { readFlag, readSingleValue, refuseExtraWords } from './flag-values.js';

/** `build`'s flags (R31, R130, R187): the agents and their versions, the base, the cache, proxy and CAs. */
export function declareBuildFlags<T>(yargs: Argv<T>) {
  let builder = declareBuildEgressFlags(yargs).option('agents', {
    type: 'string',
    describe: `agents to install, comma separated: ${AGENT_IDS.join(', ')} (default: codex)`,
  });
  for (const id of AGENT_IDS) {
    builder = builder.option(AGENTS[id].versionFlag.slice(2), {
      type: 'string',
      describe: `npm version of ${AGENTS[id].npmPackage} (default: latest)`,
    });
  }
  return (
    builder
      .option('node', { type: 'string', describe: 'Node.js major version of the base image: 18, 20 or 22 (default 22)' })
      .option('base-image', {
        type: 'string',
        describe: 'base image instead of node:<N>-bookworm-slim (also SANDBOX_BASE_IMAGE, [build] base_image)',
      })
      .option('from-devcontainer', {
        type: 'string',
        describe:
          "the project's toolchain image: build on the image or Dockerfile of DIR/.devcontainer/devcontainer.json " +
          '(DIR default: current directory); tagged codex-sandbox:toolchain-<hash>',
      })
      // yargs reads `--no-cache` as `cache: false` (boolean negation): declare `cache`.
      .option('cache', { type: 'boolean', describe: 'use the layer cache (default); --no-cache builds without it' })
  );
}

export function toBuildOptions(args: Record<string, unknown>): BuildOptions {
  refuseExtraWords(args._ as unknown[] | undefined);
  const node = readSingleValue(args.node, '--node');
  const versions: Partial<Record<AgentId, string>> = {};
  for (const id of AGENT_IDS) {
    const flag = AGENTS[id].versionFlag;
    const value = readSingleValue(args[flag.slice(2)], flag);
    if (value !== undefined) versions[id] = value;
  }
  return {
    agents: readSingleValue(args.agents, '--agents'),
    versions,
    ...(node === undefined ? {} : { node: Number(node) }),
    baseImage: readSingleValue(args['base-image'], '--base-image'),
    // A bare --from-devcontainer is '' (yargs): the current directory.
    fromDevcontainer: readSingleValue(args['from-devcontainer'], '--from-devcontainer', { allowEmpty: true }),
    noCache: !readFlag(args.cache, '--no-cache', true),
    ...toBuildEgressFlags(args),
  };
}
