import type { AgentSpec } from '../agents/agent-spec.js';
import { EnvironmentError } from '../errors.js';

/**
 * What the image's shell knows about the agents (R130, R132), generated from the registry at
 * every build: `install-agent.sh` installs from it and `lib-agent.sh` picks and starts an agent
 * from it, so no agent list lives in the image's shell or Dockerfile.
 */

/** The file in the build context, copied to /etc/codex-sandbox/ (image/CONTRACT.md). */
export const AGENT_FACTS_FILE = 'agent-facts.tsv';
/** The line of image/Dockerfile the agents' layers replace. */
export const AGENT_LAYERS_MARKER = '# @agent-layers';

const AGENT_ID = /^[a-z][a-z0-9]{0,31}$/;
/** An npm package name (scoped or not) and a command name. */
const PACKAGE = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;
const BINARY = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** A path below the package: relative, globs allowed, no `..`, nothing the shell would split. */
const PRUNE = /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9@._*-]+(\/[A-Za-z0-9@._*-]+)*$/;
/** A fact is one field of one line: no tab, newline or other control character. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The Dockerfile's build arg that pins an agent's version (as core/image/image-tags.ts passes it). */
export function nameVersionArg(id: string): string {
  return `${id.toUpperCase()}_VERSION`;
}

function checkFact(id: string, what: string, value: string, pattern?: RegExp): string {
  if (CONTROL.test(value) || value === '' || (pattern !== undefined && !pattern.test(value))) {
    throw new EnvironmentError(`agent ${id}: ${what} ${JSON.stringify(value)} cannot go into the image's agent facts`);
  }
  return value;
}

function listAgentFacts(spec: AgentSpec): string[][] {
  const id = checkFact(spec.id, 'id', spec.id, AGENT_ID);
  return [
    ['package', checkFact(id, 'npm package', spec.npmPackage, PACKAGE)],
    ['binary', checkFact(id, 'binary', spec.binary, BINARY)],
    ['min-node', checkFact(id, 'minNodeMajor', String(spec.minNodeMajor), /^[1-9][0-9]?$/)],
    ...(spec.launchArgs ?? []).map((arg) => ['launch-arg', checkFact(id, 'launch argument', arg)]),
    ...(spec.installPrune ?? []).map((prune) => ['prune', checkFact(id, 'prune path', prune, PRUNE)]),
  ];
}

/**
 * `agent-facts.tsv`: one fact per line, `<id> TAB <key> TAB <value>`, agents in registry order
 * (the first is the default agent). Lists (`launch-arg`, `prune`) are one line per element, in
 * order. Root reads it as data, line by line: never sourced or evaluated.
 */
export function renderAgentFacts(specs: readonly AgentSpec[]): string {
  const lines = [
    '# codex-sandbox agent facts, generated from the launcher registry (scripts/core/image/agent-facts.ts).',
    '# Data read line by line (never sourced): <id> TAB <key> TAB <value>; the first agent is the default.',
  ];
  for (const spec of specs) lines.push(...listAgentFacts(spec).map(([key, value]) => `${spec.id}\t${key}\t${value}`));
  return `${lines.join('\n')}\n`;
}

/** One `ARG` and one `RUN` per agent, in registry order (R130: a version change re-runs its layer and the later ones). */
export function renderAgentLayers(specs: readonly AgentSpec[]): string {
  return specs
    .map((spec) => {
      const arg = nameVersionArg(checkFact(spec.id, 'id', spec.id, AGENT_ID));
      return `ARG ${arg}=latest\nRUN bash /tmp/codex-sandbox-build/install-agent.sh ${spec.id} "\${${arg}}"\n`;
    })
    .join('');
}

/** image/Dockerfile with the agents' layers in place of its marker line (exactly one). */
export function renderDockerfile(template: string, specs: readonly AgentSpec[]): string {
  const lines = template.split('\n');
  const at = lines.indexOf(AGENT_LAYERS_MARKER);
  if (at < 0 || lines.lastIndexOf(AGENT_LAYERS_MARKER) !== at) {
    throw new EnvironmentError(`image/Dockerfile lacks one "${AGENT_LAYERS_MARKER}" line: reinstall codex-sandbox`);
  }
  return [...lines.slice(0, at), renderAgentLayers(specs).replace(/\n$/, ''), ...lines.slice(at + 1)].join('\n');
}
