import path from 'node:path';
import { listSearchDirs } from '../../scripts/core/agents/search-order.js';

/** Codex's search (R8-R10) as the registry's data gives it: its variable, the per-project home as `envDir`. */
interface CodexInputs {
  configFlag?: { path: string; isDirectory: boolean };
  /** `CODEX_CONFIG_DIR`. */
  configDir?: string;
  home?: string;
  workdir: string;
  envDir: string;
  storeDir?: string;
}

function searchCodex(inputs: CodexInputs) {
  return listSearchDirs('codex', {
    ...(inputs.configFlag === undefined ? {} : { configFlag: inputs.configFlag }),
    env: inputs.configDir === undefined ? {} : { CODEX_CONFIG_DIR: inputs.configDir },
    ...(inputs.home === undefined ? {} : { home: inputs.home }),
    workdir: inputs.workdir,
    projectDir: inputs.envDir,
    ...(inputs.storeDir === undefined ? {} : { storeDir: inputs.storeDir }),
  });
}
const listConfigCandidates = (inputs: CodexInputs) => searchCodex(inputs).config.map((dir) => path.join(dir, 'config.toml'));
const listAuthCandidates = (inputs: CodexInputs) => searchCodex(inputs).credential.map((dir) => path.join(dir, 'auth.json'));
const listPromptsCandidates = (inputs: CodexInputs) => searchCodex(inputs).configDirs.map((dir) => path.join(dir, 'prompts'));

const BASE: CodexInputs = { workdir: '/w', envDir: '/w/.codex/.environment', home: '/h', configDir: '/cfg' };

describe('listConfigCandidates', () => {
  it('CODEX_CONFIG_DIR, ~/.codex, ~/.config/codex, WORK/codex, WORK/.codex', () => {
    expect(listConfigCandidates(BASE)).toEqual([
      '/cfg/config.toml',
      '/h/.codex/config.toml',
      '/h/.config/codex/config.toml',
      '/w/codex/config.toml',
      '/w/.codex/config.toml',
    ]);
  });

  it('skips an unset CODEX_CONFIG_DIR and an unset or empty HOME', () => {
    expect(listConfigCandidates({ workdir: '/w', envDir: '/e' })).toEqual(['/w/codex/config.toml', '/w/.codex/config.toml']);
    expect(listConfigCandidates({ workdir: '/w', envDir: '/e', home: '' })).toEqual(['/w/codex/config.toml', '/w/.codex/config.toml']);
  });

  it('--config is not a candidate (it is taken directly)', () => {
    expect(listConfigCandidates({ ...BASE, configFlag: { path: '/flag', isDirectory: true } })).toEqual([
      '/cfg/config.toml',
      '/h/.codex/config.toml',
      '/h/.config/codex/config.toml',
      '/w/codex/config.toml',
      '/w/.codex/config.toml',
    ]);
  });
});

describe('listAuthCandidates', () => {
  it('--config dir, CODEX_CONFIG_DIR, ~/.codex, ~/.config/codex, WORK/codex, WORK/.codex, then the Codex home', () => {
    expect(listAuthCandidates({ ...BASE, configFlag: { path: '/flag', isDirectory: true } })).toEqual([
      '/flag/auth.json',
      '/cfg/auth.json',
      '/h/.codex/auth.json',
      '/h/.config/codex/auth.json',
      '/w/codex/auth.json',
      '/w/.codex/auth.json',
      '/w/.codex/.environment/auth.json',
    ]);
  });

  it('a --config file contributes its directory', () => {
    expect(listAuthCandidates({ ...BASE, configFlag: { path: '/flag/my.toml', isDirectory: false } })[0]).toBe('/flag/auth.json');
  });

  it('without --config or CODEX_CONFIG_DIR', () => {
    expect(listAuthCandidates({ workdir: '/w', envDir: '/ch', home: '/h' })).toEqual([
      '/h/.codex/auth.json',
      '/h/.config/codex/auth.json',
      '/w/codex/auth.json',
      '/w/.codex/auth.json',
      '/ch/auth.json',
    ]);
  });
});

describe('listAuthCandidates with the login store of `run-in-container login` (R136)', () => {
  const store = '/h/.config/codex-sandbox/credentials/codex';
  it('after the explicit flags and CODEX_CONFIG_DIR, before ~/.codex and the workdir', () => {
    expect(listAuthCandidates({ ...BASE, storeDir: store, configFlag: { path: '/flag', isDirectory: true } })).toEqual([
      '/flag/auth.json',
      '/cfg/auth.json',
      `${store}/auth.json`,
      '/h/.codex/auth.json',
      '/h/.config/codex/auth.json',
      '/w/codex/auth.json',
      '/w/.codex/auth.json',
      '/w/.codex/.environment/auth.json',
    ]);
  });

  it('without CODEX_CONFIG_DIR it comes first; config.toml and prompts are never searched there', () => {
    const inputs = { workdir: '/w', envDir: '/ch', home: '/h', storeDir: store };
    expect(listAuthCandidates(inputs)[0]).toBe(`${store}/auth.json`);
    expect(listConfigCandidates(inputs).some((file) => file.startsWith(store))).toBe(false);
    expect(listPromptsCandidates(inputs).some((dir) => dir.startsWith(store))).toBe(false);
  });
});

describe('listPromptsCandidates', () => {
  it('--config (a directory), CODEX_CONFIG_DIR, ~/.codex, ~/.config/codex, WORK/codex, WORK/.codex', () => {
    expect(listPromptsCandidates({ ...BASE, configFlag: { path: '/flag', isDirectory: true } })).toEqual([
      '/flag/prompts',
      '/cfg/prompts',
      '/h/.codex/prompts',
      '/h/.config/codex/prompts',
      '/w/codex/prompts',
      '/w/.codex/prompts',
    ]);
  });

  it('a --config file does not contribute a prompts directory; the Codex home never does', () => {
    expect(listPromptsCandidates({ ...BASE, configFlag: { path: '/flag/c.toml', isDirectory: false } })).toEqual([
      '/cfg/prompts',
      '/h/.codex/prompts',
      '/h/.config/codex/prompts',
      '/w/codex/prompts',
      '/w/.codex/prompts',
    ]);
  });
});
