import { AGENT_IDS, type AgentId } from '../agents/agents.js';
import { EnvironmentError, UsageError } from '../errors.js';
import { BASE_LABEL, VARIANT_LABEL } from './image-labels.js';
import {
  buildCommandFor,
  DEFAULT_NODE_MAJOR,
  isAgentVersion,
  SUPPORTED_NODE_MAJORS,
  type AgentVersions,
  type BuildRequest,
} from './image-tags.js';
import { LABELS } from '../run/container-identity.js';
import { compareVersions, parseSemVer } from './semver.js';

/** What `update` found and decided (R192, R193). */
export interface UpdatePlan {
  /** One line per checked agent: `codex 0.171.0 → 0.172.0` or `codex 0.172.0 (up to date)`. */
  lines: string[];
  /** True when at least one checked agent is older than the registry's latest. */
  rebuild: boolean;
  /** Every agent of the image, pinned: the newer version where there is one, else the installed one. */
  versions: AgentVersions;
  agents: AgentId[];
}

/** The agents `update` checks: `--agents` (each must be in the image), else all the image has. */
export function selectUpdateAgents(wanted: readonly AgentId[] | undefined, installed: AgentVersions, image: string): AgentId[] {
  const has = AGENT_IDS.filter((id) => installed[id] !== undefined);
  if (has.length === 0) {
    throw new EnvironmentError(
      `image ${image} has no agent labels (built by an older launcher?): rebuild it with \`run-in-container build\``,
    );
  }
  if (wanted === undefined) return has;
  const missing = wanted.filter((id) => !has.includes(id));
  if (missing.length > 0) {
    throw new UsageError(`image ${image} has no ${missing.join(', ')}: add it with \`${buildCommandFor([...has, ...missing])}\``);
  }
  return [...wanted];
}

/** `npm view PKG version --json` prints a JSON string; anything else is not an answer (R192). */
export function parseNpmViewVersion(stdout: string, pkg: string): string {
  let value: unknown;
  try {
    value = JSON.parse(stdout.trim()) as unknown;
  } catch {
    value = undefined;
  }
  if (Array.isArray(value)) value = value[value.length - 1];
  if (typeof value !== 'string' || parseSemVer(value) === undefined || !isAgentVersion(value)) {
    throw new EnvironmentError(`npm view ${pkg} version did not print a version (${JSON.stringify(stdout.trim().slice(0, 60))})`);
  }
  return value;
}

/** Compares the image's versions with the registry's latest, as semver (R192). */
export function planImageUpdate(installed: AgentVersions, latest: AgentVersions, checked: readonly AgentId[]): UpdatePlan {
  const agents = AGENT_IDS.filter((id) => installed[id] !== undefined);
  const versions: AgentVersions = { ...installed };
  const lines: string[] = [];
  let rebuild = false;
  for (const id of AGENT_IDS.filter((agent) => checked.includes(agent))) {
    const have = installed[id] ?? '';
    const newest = latest[id] ?? have;
    const order = compareVersions(have, newest);
    if (order < 0) {
      lines.push(`${id} ${have} → ${newest}`);
      versions[id] = newest;
      rebuild = true;
    } else {
      lines.push(order === 0 ? `${id} ${have} (up to date)` : `${id} ${have} (up to date; newer than npm's latest ${newest})`);
    }
  }
  return { lines, rebuild, versions, agents };
}

/**
 * The base and variant of the rebuild: the same as the image's (its labels, R193). An image
 * from before the base label falls back to `fallbackBase` (SANDBOX_BASE_IMAGE, `[build]
 * base_image`), else the standard `node:<N>-bookworm-slim` of its Node major.
 */
export function planUpdateBase(
  labels: Readonly<Record<string, string>>,
  fallbackBase: string | undefined,
): Pick<BuildRequest, 'node' | 'baseImage' | 'variant'> {
  const major = Number(/^([0-9]+)\./.exec(labels[LABELS.node] ?? '')?.[1] ?? DEFAULT_NODE_MAJOR);
  const standardNode = SUPPORTED_NODE_MAJORS.includes(major) ? major : undefined;
  const variant = labels[VARIANT_LABEL];
  const base = labels[BASE_LABEL] ?? fallbackBase;
  const variantPart = variant === undefined ? {} : { variant };
  // The standard base of a Node major is a `--node` build (its own variant, R31); any other base is `--base-image`.
  if (base === undefined || (standardNode !== undefined && base === `node:${standardNode}-bookworm-slim`)) {
    return { ...(standardNode === undefined || standardNode === DEFAULT_NODE_MAJOR ? {} : { node: standardNode }), ...variantPart };
  }
  return { baseImage: base, ...variantPart };
}
