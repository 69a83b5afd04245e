import { realpath } from 'node:fs/promises';
import path from 'node:path';
import TOML from '@iarna/toml';
import type { ConfigFacts as HomeFacts } from '../../core/agents/agent-home-plan.js';
import { UsageError } from '../../core/errors.js';
import { isSameOrInside } from '../../core/run/path-rules.js';
import { listProviderHosts, type ProviderHost } from '../../core/egress/provider-allowances.js';
import { READ_LIMITS } from '../../core/read-limits.js';
import { UnsafePathError } from '../tree/unsafe-path-error.js';
import { readHostFile } from '../tree/read-host-file.js';

export interface ProviderAllowances {
  /** --allow SPECs for provider hosts from configs the agent cannot write. */
  allow: string[];
  /** Lines for stderr: what was allowed, and what was not and why. */
  messages: string[];
}

/**
 * Parses a config.toml; a malformed file is a usage error naming the file and the line.
 * Read once, capped, only when it is a regular file (a FIFO planted as the Codex home's
 * config.toml must not hang every launch, R109), beneath the tree it lies in (R102).
 */
export async function readCodexConfig(file: string, trees: readonly string[]): Promise<unknown> {
  let text: string;
  try {
    text = (await readHostFile(file, trees, READ_LIMITS.configToml)).bytes.toString('utf8');
  } catch (error) {
    const why =
      error instanceof UnsafePathError ? error.detail : `${file} cannot be read (${String((error as { code?: unknown }).code ?? error)})`;
    throw new UsageError(`${why}: replace it with a regular file`);
  }
  try {
    return TOML.parse(text);
  } catch (error) {
    const details = error as { line?: number; message?: string };
    const line = typeof details.line === 'number' ? details.line + 1 : 0;
    const why = (details.message ?? 'parse error').split('\n')[0]?.replace(/ at row \d+, col \d+, pos \d+:?$/, '') ?? 'parse error';
    throw new UsageError(`${file}:${line}: malformed TOML (${why}): fix that line`);
  }
}

/** Is `file` (resolved) outside every tree the agent can write? */
async function isOutside(file: string, agentWritable: readonly string[]): Promise<boolean> {
  const real = await realpath(file).catch(() => file);
  return !agentWritable.some((root) => isSameOrInside(root, real) || isSameOrInside(root, file));
}

/**
 * Model-provider hosts to allow for this run. The config Codex will use is the explicit
 * --config, else the copy already in the Codex home, else the search-order source. Hosts
 * are allowed only from a file outside every agent-writable tree (the workdir, the Codex
 * home, the sessions directory): otherwise the agent could widen its own allowlist for
 * the next run by editing config.toml. Such hosts are named with the flag that allows them.
 */
export async function findProviderAllowances(facts: HomeFacts, agentWritable: readonly string[]): Promise<ProviderAllowances> {
  const envCopy = path.join(facts.envDir, 'config.toml');
  const source = facts.configSource;
  const used = source?.explicit === true ? source.path : facts.configTargetExists ? envCopy : source?.path;
  const trusted = source !== undefined && (await isOutside(source.path, agentWritable)) ? source.path : undefined;

  const allow: string[] = [];
  const messages: string[] = [];
  const allowedHosts = new Set<string>();
  if (trusted !== undefined) {
    for (const provider of listProviderHosts(await readCodexConfig(trusted, agentWritable))) {
      if (provider.spec === undefined) {
        messages.push(notAllowing(provider, provider.problem ?? 'unusable'));
        continue;
      }
      allow.push(provider.spec);
      allowedHosts.add(provider.spec);
      messages.push(`allowing ${provider.spec} (model provider ${provider.name})`);
    }
  }
  if (used !== undefined && used !== trusted) {
    // The agent can write this file: a broken one must not lock the user out of the sandbox
    // (e.g. `shell` to repair it); Codex reports it itself when it starts.
    const config = await readCodexConfig(used, agentWritable).catch((error: unknown) => {
      messages.push(`not checking model providers: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    });
    for (const provider of config === undefined ? [] : listProviderHosts(config)) {
      if (provider.spec !== undefined && allowedHosts.has(provider.spec)) continue;
      messages.push(
        provider.spec === undefined
          ? notAllowing(provider, provider.problem ?? 'unusable')
          : notAllowing(provider, `the config (${used}) is writable by the agent; allow it with --allow ${provider.spec}`),
      );
    }
  }
  return { allow, messages };
}

function notAllowing(provider: ProviderHost, why: string): string {
  return `not auto-allowing ${provider.host} (model provider ${provider.name}): ${why}`;
}
