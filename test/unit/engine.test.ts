import {
  adaptEngineArgs,
  adaptQueryArgs,
  chooseEngine,
  describeEngine,
  HOST_GATEWAY_REFUSAL,
  parseEngineName,
} from '../../scripts/core/engine/engine.js';
import { explainDockerFailure, explainRunFailure } from '../../scripts/core/engine/explain-docker-failure.js';
import { buildListArgs } from '../../scripts/core/session/session-docker-args.js';
import { orphanQueryFormat, parseContainerRows } from '../../scripts/core/session/orphan-containers.js';

const both = { docker: true, podman: true };

describe('chooseEngine (R173)', () => {
  it('takes --engine first, then CONTAINER_ENGINE, then what is installed', () => {
    expect(chooseEngine({ flag: 'podman', env: 'docker', installed: both, uid: 1000 })).toEqual({
      name: 'podman',
      rootless: true,
      reason: '--engine',
    });
    expect(chooseEngine({ env: 'Podman', installed: both, uid: 0 })).toEqual({
      name: 'podman',
      rootless: false,
      reason: 'CONTAINER_ENGINE',
    });
    expect(chooseEngine({ installed: { docker: false, podman: true }, uid: 1000 })).toEqual({
      name: 'podman',
      rootless: true,
      reason: 'only podman is installed',
    });
    expect(chooseEngine({ installed: { docker: true, podman: false }, uid: 1000 }).name).toBe('docker');
    expect(chooseEngine({ installed: both, uid: 1000 })).toEqual({
      name: 'docker',
      rootless: false,
      reason: 'both are installed (choose with --engine or CONTAINER_ENGINE)',
    });
    expect(chooseEngine({ installed: { docker: false, podman: false }, uid: 0 }).reason).toBe('neither docker nor podman is on PATH');
  });

  it('refuses another engine name in one line', () => {
    expect(() => parseEngineName('containerd', '--engine')).toThrow('--engine "containerd" is not an engine: use docker or podman');
    expect(() => chooseEngine({ env: 'lxc', installed: both, uid: 0 })).toThrow(
      'CONTAINER_ENGINE "lxc" is not an engine: use docker or podman',
    );
  });

  it('describes rootful and rootless Podman', () => {
    expect(describeEngine({ name: 'podman', rootless: true })).toBe('podman (rootless)');
    expect(describeEngine({ name: 'podman', rootless: false })).toBe('podman (rootful)');
    expect(describeEngine({ name: 'docker', rootless: false })).toBe('docker');
  });
});

describe('adaptEngineArgs (R174, R175)', () => {
  const run = ['run', '--rm', '-i', '--name', 'c', '--cap-drop', 'ALL', 'codex-sandbox:latest', 'sh'];

  it('leaves docker argv untouched', () => {
    expect(adaptEngineArgs({ name: 'docker', rootless: false }, run)).toEqual(run);
  });

  it('keeps the host user under rootless Podman, the entrypoint as root, /etc/passwd as built', () => {
    expect(adaptEngineArgs({ name: 'podman', rootless: true }, run)).toEqual([
      'run',
      '--userns',
      'keep-id',
      '--user',
      '0:0',
      '--passwd=false',
      ...run.slice(1),
    ]);
    expect(adaptEngineArgs({ name: 'podman', rootless: false }, run)).toEqual(run);
    expect(adaptEngineArgs({ name: 'podman', rootless: true }, ['exec', '-u', '0', 'c', 'id'])).toEqual(['exec', '-u', '0', 'c', 'id']);
  });

  it('refuses host-gateway under Podman instead of running without it (R176)', () => {
    const argv = ['run', '--add-host', 'host.docker.internal:host-gateway', 'img'];
    expect(() => adaptEngineArgs({ name: 'podman', rootless: false }, argv)).toThrow(HOST_GATEWAY_REFUSAL);
    expect(adaptEngineArgs({ name: 'docker', rootless: false }, argv)).toEqual(argv);
  });

  it("translates docker's ps templates for Podman, and only --format values", () => {
    const list = adaptQueryArgs('podman', buildListArgs());
    expect(list.slice(0, 6)).toEqual(['ps', '-a', '--no-trunc', '--filter', 'label=codex-sandbox.managed=true', '--format']);
    expect(list[6]).toContain('"state":{{json .ListContainer.State}}');
    expect(list[6]).toContain('"session":{{json (index .Labels "codex-sandbox.session")}}');
    expect(list[6]).not.toContain('.Label "');
    const format = adaptQueryArgs('podman', ['ps', '--filter', 'label=x=.State', '--format', orphanQueryFormat()]);
    expect(format[2]).toBe('label=x=.State');
    expect(format[4]).toBe(
      '{{.ID}}\t{{.Names}}\t{{index .Labels "codex-sandbox.launcher-pid"}}\t{{.CreatedAt}}\t' +
        orphanQueryFormat()
          .split('\t')
          .slice(4)
          .join('\t')
          .replace(/\.Label "/g, 'index .Labels "'),
    );
    expect(adaptQueryArgs('podman', ['ps', '--format', '{{json .State}} {{json (.Label "a")}}'])).toEqual([
      'ps',
      '--format',
      '{{json .ListContainer.State}} {{json (index .Labels "a")}}',
    ]);
    expect(adaptQueryArgs('docker', ['ps', '--format', '{{.Label "a"}}'])).toEqual(['ps', '--format', '{{.Label "a"}}']);
  });

  it("reads Podman's CreatedAt with nanoseconds", () => {
    const rows = parseContainerRows('abc\tcodex-x-1\t42\t2026-12-06 15:45:57.735770559 +0000 UTC\t\n');
    expect(rows[0]?.createdMs).toBe(Date.parse('2026-12-06T15:45:57+00:00'));
  });
});

describe('Podman failures (R177)', () => {
  it('says how to install podman when it is missing', () => {
    const error = Object.assign(new Error('spawn podman ENOENT'), { code: 'ENOENT' });
    expect(explainDockerFailure(error, '', 'podman').message).toBe(
      'podman not found: install it (e.g. sudo apt install podman uidmap slirp4netns) or use --engine docker',
    );
  });

  it('names the rootless set-up gap and its fix', () => {
    expect(explainDockerFailure(new Error('x'), 'Error: cannot find UID/GID for user u: no subuid ranges found', 'podman').message).toMatch(
      /^rootless Podman needs subordinate ids/,
    );
    expect(explainRunFailure('Error: slirp4netns failed: "open(\\"/dev/net/tun\\"): Permission denied"\n', 125, 'podman')?.message).toMatch(
      /cannot open \/dev\/net\/tun/,
    );
  });

  it("counts only Podman's own refusal on 125/126/127, never the agent's output", () => {
    expect(explainRunFailure('Error: statfs /x: no such file or directory\n', 125, 'podman')?.message).toBe(
      'Podman could not start the container: statfs /x: no such file or directory (check `podman info`, fix it and run again)',
    );
    expect(explainRunFailure('agent says: Error: oops\n', 125, 'podman')).toBeUndefined();
    expect(explainRunFailure('Error: the tests failed\n', 127, 'podman')).toBeUndefined();
    expect(explainRunFailure('Error: runc: exec failed: OCI runtime error\n', 127, 'podman')?.message).toMatch(/^Podman could not start/);
  });
});
