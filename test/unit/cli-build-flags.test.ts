import fs from 'node:fs';
import path from 'node:path';
import { runCli } from './helpers/run-cli.js';
import { makeTempDir, removeTempDir, snapshotTree } from './helpers/temp-dir.js';

/**
 * `build --agents`, `--codex-version`, `--claude-version`, `--gemini-version` (R131) through
 * the compiled CLI (npm run build first): every bad value is one line, exit 2, nothing on
 * stdout, nothing built. No docker on PATH and a dead DOCKER_HOST: a case that got as far
 * as docker would fail with exit 1 instead.
 */
const CASES: [string, string[], string][] = [
  ['an unknown agent', ['--agents', 'codex,aider'], '--agents "aider" is not an agent: use codex, claude, gemini'],
  ['an empty list', ['--agents', ' , '], '--agents is empty: name at least one of codex, claude, gemini'],
  // A flag without its value or given twice: refused by the parse (cli-parse-refusals.test.ts).
  [
    'a shell word as a version',
    ['--agents', 'claude', '--claude-version', '2.1.0;rm -rf /'],
    '--claude-version "2.1.0;rm -rf /" is not a version',
  ],
  ['an option as a version', ['--agents', 'gemini', '--gemini-version=--no-cache'], '--gemini-version "--no-cache" is not a version'],
  ['a version range', ['--agents', 'gemini', '--gemini-version', '>=0.61'], '--gemini-version ">=0.61" is not a version'],
  ['a version too long for a tag', ['--agents', 'claude', '--claude-version', `1.0.0-${'x'.repeat(40)}`], '--claude-version "1.0.0-xxxx'],
  [
    'a version for an agent not built',
    ['--claude-version', '2.1.332'],
    '--claude-version pins claude, which this build does not install: add it to --agents (e.g. --agents codex,claude)',
  ],
  [
    '--codex-version without codex',
    ['--agents', 'gemini', '--codex-version', '0.171.0'],
    '--codex-version pins codex, which this build does not install: add it to --agents (e.g. --agents gemini,codex)',
  ],
  [
    'a bad codex version alongside good ones',
    ['--agents', 'codex,claude', '--codex-version', 'v1'],
    '--codex-version "v1" is not a version',
  ],
];

describe('run-in-container build: bad agent flags', () => {
  let tmp: string;

  beforeEach(() => {
    tmp = makeTempDir('codex-sandbox-build-flags-');
    fs.mkdirSync(path.join(tmp, 'home'));
  });

  afterEach(() => removeTempDir(tmp));

  it.each(CASES)('%s', (_name, args, message) => {
    const before = snapshotTree(tmp);
    const result = runCli(['build', ...args], { cwd: tmp, home: path.join(tmp, 'home') });
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 2, stdout: '' });
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^run-in-container: /);
    expect(lines[0]).toContain(message);
    expect(snapshotTree(tmp)).toEqual(before);
  });

  it('good flags pass validation and reach docker (exit 1 here), so the cases above never do', () => {
    const result = runCli(
      [
        'build',
        '--agents',
        'gemini,codex,claude',
        '--claude-version',
        '2.1.332',
        '--gemini-version',
        '0.61.0',
        '--codex-version',
        'latest',
      ],
      { cwd: tmp, home: path.join(tmp, 'home') },
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/run-in-container: (docker CLI not found|Docker engine)/);
  });

  it('--no-cache is a flag of build: it passes validation and reaches docker', () => {
    const result = runCli(['build', '--no-cache'], { cwd: tmp, home: path.join(tmp, 'home') });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/run-in-container: (docker CLI not found|Docker engine)/);
  });

  it('--help lists the agent flags', () => {
    const result = runCli(['build', '--help'], { cwd: tmp, home: path.join(tmp, 'home') });
    expect(result.status).toBe(0);
    for (const flag of ['--agents', '--codex-version', '--claude-version', '--gemini-version']) expect(result.stdout).toContain(flag);
  });
});
