import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir, removeTempDir, writeFile } from './helpers/temp-dir.js';

/**
 * image/lib-egress.sh's capper_alive, run with the host's bash: the capper may exit between
 * any two reads of its /proc entry, and the end of a run must then stay silent (no
 * `/proc/N/stat: No such file or directory` on the user's terminal). `/proc/../DIR` reaches a
 * fake entry in DIR, so each state of a vanishing entry is reproduced without a race.
 */
const LIB = path.resolve('image/lib-egress.sh');

let dir: string;
beforeEach(() => {
  dir = makeTempDir('lib-egress-');
});
afterEach(() => removeTempDir(dir));

function capperAlive(pid: string): { alive: boolean; stderr: string } {
  const script = 'set -euo pipefail; RUN_DIR=$1 CONF_DIR=$1 LIB_DIR=$1; source "$2"; if capper_alive "$3"; then echo yes; else echo no; fi';
  const result = spawnSync('bash', ['-c', script, 'bash', dir, LIB, pid], { encoding: 'utf8', timeout: 10000 });
  expect(result.status).toBe(0);
  return { alive: result.stdout.trim() === 'yes', stderr: result.stderr };
}

/** A fake /proc/PID whose stat holds `stat` (a directory when `stat` is undefined: readable, yet every read fails). */
function fakeEntry(name: string, stat?: string): string {
  const entry = path.join(dir, name);
  if (stat === undefined) fs.mkdirSync(path.join(entry, 'stat'), { recursive: true });
  else writeFile(path.join(entry, 'stat'), stat);
  return path.relative('/proc', entry);
}

describe('capper_alive (lib-egress.sh)', () => {
  it('a running process is alive; a zombie has ended', () => {
    expect(capperAlive(fakeEntry('running', '42 (awk) S 1 42 42 0 -1\n'))).toEqual({ alive: true, stderr: '' });
    expect(capperAlive(fakeEntry('zombie', '42 (awk) Z 1 42 42 0 -1\n'))).toEqual({ alive: false, stderr: '' });
  });

  it('an entry gone before the read: ended, silently', () => {
    expect(capperAlive(path.relative('/proc', path.join(dir, 'gone')))).toEqual({ alive: false, stderr: '' });
  });

  it('an entry that still looks readable but whose read fails (it vanished in between): ended, silently', () => {
    expect(capperAlive(fakeEntry('vanishing'))).toEqual({ alive: false, stderr: '' });
  });

  it('a real process that exited, and one that runs', () => {
    const exited = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim();
    expect(capperAlive(exited)).toEqual({ alive: false, stderr: '' });
    expect(capperAlive(String(process.pid))).toEqual({ alive: true, stderr: '' });
  });
});
