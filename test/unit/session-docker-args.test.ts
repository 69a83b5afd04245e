import {
  buildChownArgs,
  buildCopyInArgs,
  buildCopyOutArgs,
  buildEnterArgs,
  buildListArgs,
  buildReadyProbeArgs,
  buildRemoveArgs,
  buildStateArgs,
  buildStopArgs,
  isReadyMarkerFresh,
  parseContainerState,
} from '../../scripts/core/session/session-docker-args.js';
import { PS_FORMAT } from '../../scripts/core/session/session-list.js';

describe('session docker argv (whole arrays)', () => {
  it.each([
    ['list', buildListArgs(), ['ps', '-a', '--no-trunc', '--filter', 'label=codex-sandbox.managed=true', '--format', PS_FORMAT]],
    [
      'enter codex, TTY',
      buildEnterArgs({ container: 'codex-session-dev', tty: true, workingDir: '/app/w/p', mode: 'codex', args: ['--model', 'o3'] }),
      ['exec', '-i', '-t', '-w', '/app/w/p', 'codex-session-dev', '/usr/local/bin/sandbox-enter', 'codex', '--model', 'o3'],
    ],
    [
      'enter shell, no TTY, args that look like options stay arguments',
      buildEnterArgs({ container: 'c', tty: false, workingDir: '/app/x y', mode: 'shell', args: ['--privileged', '$(id)'] }),
      ['exec', '-i', '-w', '/app/x y', 'c', '/usr/local/bin/sandbox-enter', 'shell', '--privileged', '$(id)'],
    ],
    ['ready probe', buildReadyProbeArgs('c'), ['exec', 'c', 'stat', '-c', '%.9Y', '/run/codex-sandbox/session-ready']],
    ['state', buildStateArgs('c'), ['inspect', '--type', 'container', '--format', '{{json .State}}', 'c']],
    ['stop', buildStopArgs(['a', 'b']), ['stop', 'a', 'b']],
    ['remove', buildRemoveArgs(['a']), ['rm', '-f', 'a']],
    ['copy in', buildCopyInArgs('/h/f,1', 'c', '/app/w/p'), ['cp', '-a', '/h/f,1', 'c:/app/w/p/']],
    ['chown', buildChownArgs('c', 1000, 1001, ['/app/w/p/f']), ['exec', 'c', 'chown', '-hR', '1000:1001', '--', '/app/w/p/f']],
    ['copy out', buildCopyOutArgs('c', '/app/w/p/out', '/h/d/.codex-pull-x'), ['cp', 'c:/app/w/p/out', '/h/d/.codex-pull-x']],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });
});

describe('readiness', () => {
  it('parses docker inspect State', () => {
    expect(parseContainerState('{"Status":"exited","Running":false,"ExitCode":71,"StartedAt":"2025-11-22T19:39:57.123456789Z"}')).toEqual({
      running: false,
      exitCode: 71,
      startedAt: '2025-11-22T19:39:57.123456789Z',
    });
  });

  const started = '2025-11-22T19:39:57.500000000Z';
  const startSeconds = Date.parse('2025-11-22T19:39:57Z') / 1000;
  it.each([
    ['written after the start', `${startSeconds}.600000000`, started, true],
    ['written at the same nanosecond', `${startSeconds}.500000000`, started, true],
    ['left over from the previous start (same second)', `${startSeconds}.400000000`, started, false],
    ['left over from long ago', `${startSeconds - 3600}.900000000`, started, false],
    ['start without fraction', `${startSeconds}.000000001`, '2025-11-22T19:39:57Z', true],
    ['garbage stat output', 'stat: cannot stat', started, false],
    ['garbage StartedAt', `${startSeconds}`, '0001-01-01', false],
  ])('%s', (_name, mtime, startedAt, fresh) => {
    expect(isReadyMarkerFresh(mtime, startedAt)).toBe(fresh);
  });
});
