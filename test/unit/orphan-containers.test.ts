import { ORPHAN_MIN_AGE_MS, orphanQueryFormat, parseContainerRows, selectOrphans } from '../../scripts/core/session/orphan-containers.js';
import { explainRunFailure } from '../../scripts/core/engine/explain-docker-failure.js';

const NOW = Date.parse('2025-11-22T19:30:00Z');
const OLD = '2025-11-22 19:00:00 +0000 UTC';
const FRESH = '2025-11-22 19:29:50 +0000 UTC';

describe('selectOrphans', () => {
  const text = [
    ['a1', 'codex-dead', '111', OLD, ''],
    ['a2', 'codex-alive', '222', OLD, ''],
    ['a3', 'codex-kept', '111', OLD, 'my-session'],
    ['a4', 'codex-fresh', '111', FRESH, ''],
    ['a5', 'codex-no-pid', '', OLD, ''],
    ['a6', 'codex-bad-pid', '12x', OLD, ''],
    ['a7', 'codex-bad-date', '111', 'yesterday', ''],
  ]
    .map((fields) => fields.join('\t'))
    .join('\n');

  it.each([
    ['dead launcher, old enough: reaped', new Set([111]), ['a1']],
    ['nothing dead: nothing reaped', new Set<number>(), []],
    ['the live one never, even if listed dead elsewhere', new Set([111, 333]), ['a1']],
  ])('%s', (_name, dead, expected) => {
    expect(selectOrphans(parseContainerRows(text), dead, NOW).map((row) => row.id)).toEqual(expected);
  });

  it('parses the rows it asks docker for', () => {
    expect(parseContainerRows(`x\tcodex-n\t42\t${OLD}\t\n\n`)).toEqual([
      { id: 'x', name: 'codex-n', launcherPid: 42, createdMs: Date.parse('2025-11-22T19:00:00Z'), kept: false },
    ]);
    expect(orphanQueryFormat()).toBe(
      '{{.ID}}\t{{.Names}}\t{{.Label "codex-sandbox.launcher-pid"}}\t{{.CreatedAt}}\t' +
        '{{.Label "codex-sandbox.session"}}{{.Label "codex-sandbox.keep"}}',
    );
    expect(ORPHAN_MIN_AGE_MS).toBe(30000);
  });
});

describe('explainRunFailure (docker run exit 125)', () => {
  it.each([
    ['agent output only: passed through', 'some error from the agent\n', undefined],
    [
      "daemon error: docker's reason and what to do",
      "docker: Error response from daemon: failed to create task: iptables failed.\nSee 'docker run --help'.\n",
      'the Docker engine could not start the container: Error response from daemon: failed to create task: iptables failed.' +
        " (check `docker info` and the engine's log, fix it and run again)",
    ],
    [
      'engine gone mid-way',
      'docker: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
      'Docker engine is not running: start it (e.g. sudo systemctl start docker) or fix DOCKER_HOST',
    ],
  ])('%s', (_name, stderr, expected) => {
    expect(explainRunFailure(stderr)?.message).toBe(expected);
  });

  const RUNC =
    'docker: Error response from daemon: failed to create task for container: failed to create shim task:' +
    ' OCI runtime create failed: runc create failed: unable to start container process: error mounting "/w/src" to rootfs' +
    ' at "/workspace/src": no such file or directory: unknown.';
  it.each([126, 127])("exit %i: runc could not set the container up (R103): docker's reason", (code) => {
    expect(explainRunFailure(`${RUNC}\n`, code)?.message).toBe(
      `the Docker engine could not start the container: ${RUNC.slice('docker: '.length)}` +
        " (check `docker info` and the engine's log, fix it and run again)",
    );
  });
  it.each([126, 127])('exit %i: an agent printing a docker-like line is passed through', (code) => {
    expect(explainRunFailure('sh: mytool: not found\ndocker: mytool: command not found\n', code)).toBeUndefined();
    expect(explainRunFailure('docker: Cannot connect to the Docker daemon at unix:///x.sock\n', code)).toBeUndefined();
  });
  it('the reason is shown escaped (R100)', () => {
    expect(explainRunFailure('docker: Error response from daemon: bad \u001b]0;title\u0007\n', 127)?.message).toContain(
      'Error response from daemon: bad \\x1b]0;title\\x07 (check',
    );
  });
});
