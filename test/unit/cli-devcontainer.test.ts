import fs from 'node:fs';
import path from 'node:path';
import { runCli } from './helpers/run-cli.js';
import { makeTempDir, removeTempDir, snapshotTree, writeFile } from './helpers/temp-dir.js';

/**
 * `build --from-devcontainer` (R187, R188) and `update` (R192) through the compiled CLI: a bad
 * devcontainer file is one line, exit 2, nothing on stdout, nothing built or written. No docker
 * on PATH and a dead DOCKER_HOST: a case that got as far as the engine exits 1 instead.
 */
const DC = '.devcontainer/devcontainer.json';
const CASES: Array<[string, Record<string, string>, string[], string]> = [
  ['no devcontainer file', {}, [], 'has no .devcontainer/devcontainer.json or .devcontainer.json'],
  ['not JSON', { [DC]: 'image: python' }, [], 'is not valid JSON'],
  ['neither image nor build', { [DC]: '{"name": "x", // hi\n}' }, [], 'has neither "image" nor "build.dockerfile"'],
  [
    'a missing Dockerfile',
    { [DC]: '{"build": {"dockerfile": "Dockerfile"}}' },
    [],
    'build.dockerfile ".devcontainer/Dockerfile" does not exist',
  ],
  [
    'an escaping context',
    { [DC]: '{"build": {"dockerfile": "Dockerfile", "context": "../.."}}' },
    [],
    'build.context "../.." leads outside',
  ],
  ['an absolute Dockerfile', { [DC]: '{"build": {"dockerfile": "/etc/hostname"}}' }, [], 'is an absolute path'],
  [
    'docker compose',
    { [DC]: '{"dockerComposeFile": "compose.yml", "service": "app"}' },
    [],
    'uses dockerComposeFile, which the sandbox does not support',
  ],
  ['a bad image', { [DC]: '{"image": "$(id)"}' }, [], 'is not an image reference'],
  ['a DIR that does not exist', {}, ['missing-dir'], '--from-devcontainer "missing-dir" does not exist'],
];

describe('run-in-container build --from-devcontainer: bad files', () => {
  let tmp: string;
  let project: string;
  let home: string;

  beforeEach(() => {
    tmp = makeTempDir('codex-sandbox-cli-devcontainer-');
    project = path.join(tmp, 'project');
    home = path.join(tmp, 'home');
    fs.mkdirSync(project);
    fs.mkdirSync(home);
  });

  afterEach(() => removeTempDir(tmp));

  const expectOneLine = (result: ReturnType<typeof runCli>, status: number, message: string) => {
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status, stdout: '' });
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^run-in-container: /);
    expect(lines[0]).toContain(message);
  };

  it.each(CASES)('%s', (_name, files, args, message) => {
    for (const [file, text] of Object.entries(files)) writeFile(path.join(project, file), text);
    const before = snapshotTree(tmp);
    const result = runCli(['build', '--from-devcontainer', ...args], { cwd: project, home });
    expectOneLine(result, 2, message);
    expect(snapshotTree(tmp)).toEqual(before);
  });

  it('a Dockerfile that is a symlink out of the project is refused', () => {
    writeFile(path.join(tmp, 'elsewhere', 'Dockerfile'), 'FROM debian:bookworm\n');
    writeFile(path.join(project, DC), '{"build": {"dockerfile": "Dockerfile"}}');
    fs.symlinkSync(path.join(tmp, 'elsewhere', 'Dockerfile'), path.join(project, '.devcontainer', 'Dockerfile'));
    expectOneLine(runCli(['build', '--from-devcontainer', project], { cwd: tmp, home }), 2, 'leads outside');
  });

  it('--base-image with --from-devcontainer is refused', () => {
    writeFile(path.join(project, DC), '{"image": "python:3.12-bookworm"}');
    const result = runCli(['build', '--from-devcontainer', '--base-image', 'debian:bookworm'], { cwd: project, home });
    expectOneLine(result, 2, '--base-image and --from-devcontainer both choose the base image: give one of them');
  });

  it('a good file passes every check and reaches the engine (exit 1 here)', () => {
    writeFile(path.join(project, DC), '{\n  // Go\n  "build": {"dockerfile": "Dockerfile", "context": "..", "args": {"V": "1.22"},},\n}\n');
    writeFile(path.join(project, '.devcontainer', 'Dockerfile'), 'ARG V\nFROM golang:${V}-bookworm\n');
    const result = runCli(['build', '--from-devcontainer', project], { cwd: tmp, home });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/run-in-container: (docker CLI not found|Docker engine)/);
  });

  it('[build] base_image of an untrusted project file is refused before any build (R191)', () => {
    writeFile(path.join(project, '.codex', 'sandbox.ini'), '[build]\nbase_image = python:3.12-bookworm\n');
    const result = runCli(['build'], { cwd: project, home });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('is not trusted: run `run-in-container trust` to approve');
  });

  it('--help names the flag', () => {
    expect(runCli(['build', '--help'], { cwd: project, home }).stdout).toContain('--from-devcontainer');
  });
});

describe('run-in-container update: flags', () => {
  let tmp: string;

  beforeEach(() => {
    tmp = makeTempDir('codex-sandbox-cli-update-');
    fs.mkdirSync(path.join(tmp, 'home'));
  });

  afterEach(() => removeTempDir(tmp));

  it.each([
    [['--agents', 'codex,aider'], '--agents "aider" is not an agent'],
    [['--image', 'a b'], '--image "a b" is not an image reference'],
    // A stray word: refused by the parse (cli-parse-refusals.test.ts).
  ])('%j → exit 2', (args, message) => {
    const result = runCli(['update', ...args], { cwd: tmp, home: path.join(tmp, 'home') });
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 2, stdout: '' });
    expect(result.stderr).toContain(message);
  });

  it('good flags reach the engine (exit 1 here)', () => {
    const result = runCli(['update', '--agents', 'codex', '--dry-run'], { cwd: tmp, home: path.join(tmp, 'home') });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/run-in-container: (docker CLI not found|Docker engine)/);
  });
});
