import { AGENTS, type AgentId } from '../agents/agents.js';
import { UsageError } from '../errors.js';
import { escapeTerminalText } from '../terminal-text.js';

/**
 * Whether a base image can carry the sandbox (R189), decided from one probe of it before the
 * real build: `docker run --rm --network none --user 0 --entrypoint sh BASE -c BASE_PROBE_SCRIPT`.
 * The probe prints facts only; the base's os-release is parsed here, never sourced.
 */
export const BASE_PROBE_SCRIPT =
  'command -v apt-get >/dev/null 2>&1 && echo apt=yes; ' +
  'echo "glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null || ldd --version 2>&1 | head -n 1)"; ' +
  'command -v node >/dev/null 2>&1 && echo "node=$(node --version 2>/dev/null)"; ' +
  'command -v npm >/dev/null 2>&1 && echo npm=yes; ' +
  'echo ---; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null; true';

export interface BaseFacts {
  apt: boolean;
  /** [major, minor] of glibc; absent: none found (musl, static). */
  glibc?: [number, number];
  nodeMajor?: number;
  npm: boolean;
  os: Record<string, string>;
}

/**
 * The Debian releases the Dockerfile's packages are known to work on (squid-openssl, dnsdist,
 * mitmproxy, ulogd2-json at the versions the entrypoint is written for), and the major of
 * their own `nodejs` package (installed when the base has no node).
 */
const SUPPORTED_RELEASES: Readonly<Record<string, { title: string; nodejsMajor: number }>> = {
  bookworm: { title: 'Debian 12 (bookworm)', nodejsMajor: 18 },
};
const MIN_GLIBC: [number, number] = [2, 28];

export function parseBaseProbe(output: string): BaseFacts {
  const [facts = '', release = ''] = output.split(/^---$/m);
  const value = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(facts)?.[1]?.trim();
  const glibc = /(\d+)\.(\d+)/.exec(value('glibc') ?? '');
  const node = /^v?(\d+)\./.exec(value('node') ?? '');
  const os: Record<string, string> = {};
  for (const line of release.split('\n')) {
    const match = /^([A-Z_]+)=("?)(.*)\2\s*$/.exec(line.trim());
    if (match?.[1] !== undefined) os[match[1]] = (match[3] ?? '').slice(0, 100);
  }
  return {
    apt: value('apt') === 'yes',
    ...(glibc === null ? {} : { glibc: [Number(glibc[1]), Number(glibc[2])] as [number, number] }),
    ...(node === null ? {} : { nodeMajor: Number(node[1]) }),
    npm: value('npm') === 'yes',
    os,
  };
}

/** The base's own words (its os-release), made safe to print (R100). */
function describeOs(os: Record<string, string>): string {
  return escapeTerminalText(os.PRETTY_NAME ?? ([os.ID, os.VERSION_ID].filter(Boolean).join(' ') || 'an unknown system'));
}

/** The newest Node an agent needs of the Node the build installs from Debian (no base Node). */
function minimumNode(agents: readonly AgentId[]): { major: number; agent?: AgentId } {
  let found: { major: number; agent?: AgentId } = { major: 0 };
  for (const id of agents) {
    if (AGENTS[id].minNodeMajor > found.major) found = { major: AGENTS[id].minNodeMajor, agent: id };
  }
  return found;
}

function withoutAgent(agents: readonly AgentId[], agent: AgentId | undefined): string {
  const rest = agents.filter((id) => id !== agent);
  return rest.length === 0 ? '' : `, or --agents ${rest.join(',')}`;
}

/**
 * Refuses, with one line naming what is missing and the fix, a base the image contract
 * cannot be built on (R189); else says whether the Dockerfile installs Debian's Node.
 */
export function checkBaseFacts(image: string, facts: BaseFacts, agents: readonly AgentId[]): { installsNode: boolean; message?: string } {
  const name = `base image ${image}`;
  if (!facts.apt) {
    throw new UsageError(`${name} has no apt-get (Debian-like package manager): the sandbox needs one; use a Debian bookworm based image`);
  }
  const codename = facts.os.VERSION_CODENAME ?? '';
  const release = facts.os.ID === 'debian' ? SUPPORTED_RELEASES[codename] : undefined;
  if (release === undefined) {
    throw new UsageError(
      `${name} is ${describeOs(facts.os)}: the sandbox's packages (squid-openssl, dnsdist, mitmproxy, ulogd2-json) are supported ` +
        `on ${Object.values(SUPPORTED_RELEASES)
          .map((entry) => entry.title)
          .join(', ')} only; use a -bookworm variant of the image`,
    );
  }
  const glibc = facts.glibc;
  if (glibc === undefined || glibc[0] < MIN_GLIBC[0] || (glibc[0] === MIN_GLIBC[0] && glibc[1] < MIN_GLIBC[1])) {
    const has = glibc === undefined ? 'no glibc' : `glibc ${glibc.join('.')}`;
    throw new UsageError(`${name} has ${has}: Node and the agents need glibc >= ${MIN_GLIBC.join('.')}; use a Debian bookworm based image`);
  }
  if (facts.nodeMajor !== undefined) {
    if (!facts.npm) throw new UsageError(`${name} has node but no npm: the agents are installed with npm; add npm to the base`);
    // An agent newer than the base's Node gets a Node of its own from npm (install-agent.sh, R130).
    return { installsNode: false };
  }
  const need = minimumNode(agents);
  if (release.nodejsMajor < need.major) {
    throw new UsageError(
      `${name} has no Node.js and ${release.title}'s nodejs is ${release.nodejsMajor}, ${need.agent ?? ''} needs Node >= ${need.major}: ` +
        `use a base with Node >= ${need.major}${withoutAgent(agents, need.agent)}`,
    );
  }
  return {
    installsNode: true,
    message: `${name} has no Node.js: the build installs ${release.title}'s nodejs ${release.nodejsMajor} and npm`,
  };
}
