import { UsageError } from '../errors.js';

/**
 * `--allow @name`: the exact hosts each preset opens (HTTP/HTTPS only). Kept short on
 * purpose: every host here is reachable by the agent, so nothing "just in case".
 * --help and the README print this table.
 */
export const ALLOW_PRESETS: Readonly<Record<string, readonly string[]>> = {
  npm: ['registry.npmjs.org', 'registry.yarnpkg.com'],
  pypi: ['pypi.org', 'files.pythonhosted.org'],
  github: [
    'github.com',
    'api.github.com',
    'codeload.github.com',
    'gist.github.com',
    'raw.githubusercontent.com',
    'objects.githubusercontent.com',
    'release-assets.githubusercontent.com',
  ],
  maven: ['repo.maven.apache.org', 'repo1.maven.org'],
  debian: ['deb.debian.org', 'security.debian.org'],
  rust: ['crates.io', 'index.crates.io', 'static.crates.io', 'static.rust-lang.org'],
  go: ['proxy.golang.org', 'sum.golang.org'],
};

/** The preset names as users write them: `@npm`, `@pypi`, … */
export function listPresetNames(): string[] {
  return Object.keys(ALLOW_PRESETS).map((name) => `@${name}`);
}

/** The hosts of `@name`; an unknown preset is a usage error listing the known ones. */
export function expandPreset(spec: string, source: string): readonly string[] {
  const hosts = ALLOW_PRESETS[spec.slice(1).toLowerCase()];
  if (hosts === undefined || !Object.hasOwn(ALLOW_PRESETS, spec.slice(1).toLowerCase())) {
    throw new UsageError(`${source}: unknown preset ${JSON.stringify(spec)}: use one of ${listPresetNames().join(' ')}`);
  }
  return hosts;
}

/** One line per preset (`@npm  registry.npmjs.org registry.yarnpkg.com`), for --help. */
export function describePresets(): string {
  const width = Math.max(...listPresetNames().map((name) => name.length));
  return Object.entries(ALLOW_PRESETS)
    .map(([name, hosts]) => `  ${`@${name}`.padEnd(width)}  ${hosts.join(' ')}`)
    .join('\n');
}
