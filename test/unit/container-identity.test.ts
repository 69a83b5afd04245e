import { createHash } from 'node:crypto';
import { buildContainerName, LABELS, slugifyName } from '../../scripts/core/run/container-identity.js';

const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('slugifyName', () => {
  it.each<[string, string]>([
    ['my-project', 'my-project'],
    ['MyProject', 'myproject'],
    ['a b', 'a-b'],
    ['a   b', 'a-b'],
    ['a--b', 'a-b'],
    ['-x', 'x'],
    ['__x', 'x'],
    ['...', 'workdir'],
    ['', 'workdir'],
    ['ÄÖ', 'workdir'],
    ['café', 'caf'],
    ['b.c', 'b.c'],
    ['x.', 'x'],
    ['$(rm -rf /)', 'rm-rf'],
    ['a'.repeat(100), 'a'.repeat(30)],
    [`${'a'.repeat(29)}-b`, 'a'.repeat(29)],
  ])('%j -> %j', (basename, slug) => {
    expect(slugifyName(basename)).toBe(slug);
  });
});

describe('buildContainerName', () => {
  it('is codex-<slug>-<8 hex of the hash>-<run id>', () => {
    const hash = sha256('/home/me/My Project');
    expect(buildContainerName('My Project', hash, 'abcd1234')).toBe(`codex-my-project-${hash.slice(0, 8)}-abcd1234`);
  });

  it('differs for /a/b.c and /a/bc (the hash of the realpath tells them apart)', () => {
    const first = buildContainerName('b.c', sha256('/a/b.c'), '00000000');
    const second = buildContainerName('bc', sha256('/a/bc'), '00000000');
    expect(first).toBe(`codex-b.c-${sha256('/a/b.c').slice(0, 8)}-00000000`);
    expect(second).toBe(`codex-bc-${sha256('/a/bc').slice(0, 8)}-00000000`);
    expect(first).not.toBe(second);
    // Even when the slugs collide, the hash keeps them apart.
    const slugCollision = [buildContainerName('a b', sha256('/x/a b'), 'r'), buildContainerName('a-b', sha256('/x/a-b'), 'r')];
    expect(slugCollision[0]).not.toBe(slugCollision[1]);
  });

  it('differs between two runs on one workdir', () => {
    const hash = sha256('/work/p');
    expect(buildContainerName('p', hash, '0a0b0c0d')).not.toBe(buildContainerName('p', hash, 'deadbeef'));
  });

  it.each(['', '...', 'ÄÖ', 'a b', '-x', '.hidden', '_', 'x'.repeat(300), 'a/b', 'a\nb', '$(id)', '日本語', ' '])(
    'is a valid docker name for basename %j',
    (basename) => {
      const name = buildContainerName(basename, sha256(`/w/${basename}`), 'a1b2c3d4');
      expect(name).toMatch(DOCKER_NAME);
      expect(name.length).toBeLessThanOrEqual(6 + 30 + 1 + 8 + 1 + 8);
    },
  );

  it('labels live under one namespace', () => {
    expect(LABELS).toEqual({
      managed: 'codex-sandbox.managed',
      workdir: 'codex-sandbox.workdir',
      runId: 'codex-sandbox.run-id',
      launcherPid: 'codex-sandbox.launcher-pid',
      launcherHost: 'codex-sandbox.launcher-host',
      command: 'codex-sandbox.command',
      version: 'codex-sandbox.version',
      entrypoint: 'codex-sandbox.entrypoint',
      codexVersion: 'codex-sandbox.codex-version',
      agent: 'codex-sandbox.agent',
      agentPrefix: 'codex-sandbox.agent.',
      node: 'codex-sandbox.node',
    });
  });
});
