import fs from 'node:fs';
import path from 'node:path';
import { chooseDevcontainerBase, planBaseBuild, resolveUnderDir } from '../../scripts/core/image/devcontainer.js';
import { UsageError } from '../../scripts/core/errors.js';
import { readDevcontainer, toolchainVariant } from '../../scripts/host/devcontainer-file.js';
import { makeTempDir, removeTempDir, writeFile } from './helpers/temp-dir.js';

/** R187, R188: what --from-devcontainer takes from devcontainer.json, and what it refuses. */
const WHERE = { file: 'dc.json', configDir: '.devcontainer' };

describe('resolveUnderDir: relative to the .devcontainer folder, never out of DIR', () => {
  it.each([
    ['Dockerfile', '.devcontainer/Dockerfile'],
    ['./Dockerfile', '.devcontainer/Dockerfile'],
    ['..', '.'],
    ['../docker/Dockerfile', 'docker/Dockerfile'],
    ['sub/../Dockerfile', '.devcontainer/Dockerfile'],
  ])('%s → %s', (input, expected) => {
    expect(resolveUnderDir('.devcontainer', input, 'build.dockerfile')).toBe(expected);
  });

  it.each([
    ['../..', 'leads outside the project directory'],
    ['../../etc/passwd', 'leads outside the project directory'],
    ['a/../../../x', 'leads outside the project directory'],
    ['/etc/passwd', 'is an absolute path'],
    ['C:\\Dockerfile', 'is an absolute path'],
    ['', 'is empty'],
  ])('%j is refused (%s)', (input, message) => {
    expect(() => resolveUnderDir('.devcontainer', input, 'build.dockerfile')).toThrow(message);
  });

  it('for DIR/.devcontainer.json the paths are relative to DIR itself', () => {
    expect(resolveUnderDir('.', 'Dockerfile', 'x')).toBe('Dockerfile');
    expect(() => resolveUnderDir('.', '../Dockerfile', 'x')).toThrow('leads outside');
  });
});

describe('chooseDevcontainerBase', () => {
  it('image', () => {
    expect(chooseDevcontainerBase({ image: 'mcr.microsoft.com/devcontainers/python:3.12-bookworm' }, WHERE)).toEqual({
      base: { kind: 'image', image: 'mcr.microsoft.com/devcontainers/python:3.12-bookworm' },
      warnings: [],
    });
  });

  it('build: dockerfile, context (default the .devcontainer folder), args, target', () => {
    const config = { build: { dockerfile: 'Dockerfile', context: '..', args: { GO_VERSION: '1.22' }, target: 'dev' } };
    expect(chooseDevcontainerBase(config, WHERE).base).toEqual({
      kind: 'dockerfile',
      dockerfile: '.devcontainer/Dockerfile',
      context: '.',
      args: { GO_VERSION: '1.22' },
      target: 'dev',
    });
    expect(chooseDevcontainerBase({ build: { dockerfile: 'Dockerfile' } }, WHERE).base).toMatchObject({
      context: '.devcontainer',
      args: {},
    });
  });

  it('the older top-level dockerFile and context', () => {
    expect(chooseDevcontainerBase({ dockerFile: 'Dockerfile', context: '..' }, WHERE).base).toMatchObject({
      dockerfile: '.devcontainer/Dockerfile',
      context: '.',
    });
  });

  it('features are not installed: a warning, not an error', () => {
    const choice = chooseDevcontainerBase({ image: 'debian:bookworm', features: { 'ghcr.io/devcontainers/features/node:1': {} } }, WHERE);
    expect(choice.warnings).toEqual([expect.stringContaining('"features" are not installed')]);
  });

  it.each([
    ['an array', [], 'is not a JSON object'],
    ['neither image nor build', { name: 'x' }, 'has neither "image" nor "build.dockerfile"'],
    ['build without dockerfile', { build: { context: '..' } }, 'has neither "image" nor "build.dockerfile"'],
    ['both', { image: 'a', build: { dockerfile: 'Dockerfile' } }, 'sets both "image" and "build.dockerfile"'],
    ['compose', { dockerComposeFile: 'docker-compose.yml', service: 'app' }, 'uses dockerComposeFile, which the sandbox does not support'],
    ['a bad image reference', { image: 'python:3 ; rm -rf /' }, 'is not an image reference'],
    ['a number as dockerfile', { build: { dockerfile: 3 } }, 'build.dockerfile is not a string'],
    ['an escaping context', { build: { dockerfile: 'Dockerfile', context: '../..' } }, 'build.context "../.." leads outside'],
    ['an absolute dockerfile', { build: { dockerfile: '/tmp/Dockerfile' } }, 'is an absolute path'],
    ['a bad build arg name', { build: { dockerfile: 'D', args: { 'A=B': 'x' } } }, 'build.args has a bad name'],
    ['a build arg that is not a string', { build: { dockerfile: 'D', args: { A: 1 } } }, 'build.args.A is not a string'],
    ['a devcontainer variable', { build: { dockerfile: 'D', args: { A: '${localEnv:HOME}' } } }, 'uses a devcontainer variable'],
    ['a bad target', { build: { dockerfile: 'D', target: '--network=host' } }, 'is not a stage name'],
  ])('%s → one-line UsageError', (_name, config, message) => {
    expect(() => chooseDevcontainerBase(config, WHERE)).toThrow(UsageError);
    expect(() => chooseDevcontainerBase(config, WHERE)).toThrow(message);
  });

  it('planBaseBuild: -f, build args by value, target, the proxy args, the context last', () => {
    const base = { kind: 'dockerfile' as const, dockerfile: 'x', context: '.', args: { BASE: 'local/node:bookworm' }, target: 'dev' };
    expect(
      planBaseBuild(base, { dockerfile: '/p/.devcontainer/Dockerfile', context: '/p' }, 'codex-sandbox-base:abc', [
        '--build-arg',
        'HTTPS_PROXY',
      ]),
    ).toEqual([
      '-t',
      'codex-sandbox-base:abc',
      '--label',
      'codex-sandbox.base-build=1',
      '-f',
      '/p/.devcontainer/Dockerfile',
      '--build-arg',
      'BASE=local/node:bookworm',
      '--target',
      'dev',
      '--build-arg',
      'HTTPS_PROXY',
      '/p',
    ]);
  });
});

describe('readDevcontainer on a real directory', () => {
  let tmp: string;
  let project: string;

  beforeEach(() => {
    tmp = makeTempDir('codex-sandbox-devcontainer-');
    project = path.join(tmp, 'project');
    fs.mkdirSync(project);
  });

  afterEach(() => removeTempDir(tmp));

  it('finds .devcontainer/devcontainer.json, resolves Dockerfile and context, hashes the inputs', async () => {
    writeFile(
      path.join(project, '.devcontainer', 'devcontainer.json'),
      '{\n  // go\n  "build": {"dockerfile": "Dockerfile", "context": "..",},\n}\n',
    );
    writeFile(path.join(project, '.devcontainer', 'Dockerfile'), 'FROM golang:1.22-bookworm\n');
    const found = await readDevcontainer(project, tmp);
    expect(found).toMatchObject({
      dir: project,
      file: path.join(project, '.devcontainer', 'devcontainer.json'),
      paths: { dockerfile: path.join(project, '.devcontainer', 'Dockerfile'), context: project },
      inputsHash: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
    writeFile(path.join(project, '.devcontainer', 'Dockerfile'), 'FROM golang:1.23-bookworm\n');
    expect((await readDevcontainer(project, tmp)).inputsHash).not.toBe(found.inputsHash);
    expect(toolchainVariant(project)).toMatch(/^toolchain-[0-9a-f]{8}$/);
  });

  it('finds DIR/.devcontainer.json; "" is the current directory', async () => {
    writeFile(path.join(project, '.devcontainer.json'), '{"image": "python:3.12-bookworm"}');
    expect((await readDevcontainer('', project)).base).toEqual({ kind: 'image', image: 'python:3.12-bookworm' });
  });

  it('refuses a Dockerfile that is a symlink out of DIR', async () => {
    writeFile(path.join(tmp, 'outside', 'Dockerfile'), 'FROM debian:bookworm\n');
    writeFile(path.join(project, '.devcontainer', 'devcontainer.json'), '{"build": {"dockerfile": "Dockerfile"}}');
    fs.symlinkSync(path.join(tmp, 'outside', 'Dockerfile'), path.join(project, '.devcontainer', 'Dockerfile'));
    await expect(readDevcontainer(project, tmp)).rejects.toThrow('build.dockerfile ".devcontainer/Dockerfile" leads outside');
  });

  it('refuses a .devcontainer folder that is a symlink out of DIR', async () => {
    writeFile(path.join(tmp, 'elsewhere', 'devcontainer.json'), '{"image": "debian:bookworm"}');
    fs.symlinkSync(path.join(tmp, 'elsewhere'), path.join(project, '.devcontainer'));
    await expect(readDevcontainer(project, tmp)).rejects.toThrow('leads outside');
  });

  it.each([
    ['no file', undefined, 'has no .devcontainer/devcontainer.json or .devcontainer.json'],
    ['not JSON', 'image = python', 'is not valid JSON'],
    ['a missing Dockerfile', '{"build": {"dockerfile": "Dockerfile"}}', 'build.dockerfile ".devcontainer/Dockerfile" does not exist'],
    ['a context that is a file', '{"build": {"dockerfile": "devcontainer.json", "context": "devcontainer.json"}}', 'is not a directory'],
  ])('%s → UsageError', async (_name, text, message) => {
    if (text !== undefined) writeFile(path.join(project, '.devcontainer', 'devcontainer.json'), text);
    await expect(readDevcontainer(project, tmp)).rejects.toThrow(message);
  });

  it('refuses a file over 256 KiB without parsing it', async () => {
    writeFile(path.join(project, '.devcontainer', 'devcontainer.json'), `{"image": "x", "pad": "${'a'.repeat(300 * 1024)}"}`);
    await expect(readDevcontainer(project, tmp)).rejects.toThrow('is larger than 256 KiB');
  });

  it('refuses a FIFO without blocking', async () => {
    fs.mkdirSync(path.join(project, '.devcontainer'));
    const { spawnSync } = await import('node:child_process');
    spawnSync('mkfifo', [path.join(project, '.devcontainer', 'devcontainer.json')]);
    await expect(readDevcontainer(project, tmp)).rejects.toThrow('is not a regular file');
  });
});
