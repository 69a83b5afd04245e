import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { docker, IMAGE, runLauncher } from './helpers/run-launcher.js';

/**
 * R34: the agent takes the workdir owner's uid and gid (root launcher), but never a service's
 * group: with the host's gid equal to `proxy`'s (13, Debian's) the agent could read squid.conf
 * with the upstream proxy's password; equal to `codex-egress`'s it could write the egress FIFO.
 * The workdir's gid is chosen here, which only a root launcher can do (CI runs as root).
 */
const ROOT = process.getuid?.() === 0;
const PROXY_PASSWORD = 'pw-in-squid-conf-7f3a';
const PROBE = String.raw`
id -G
if cat /etc/codex-sandbox/squid.conf 2>/dev/null | grep -q '${PROXY_PASSWORD}'; then echo 'READ squid.conf'; fi
if (printf 'forged line\n' > /run/codex-sandbox/egress/in.fifo) 2>/dev/null; then echo 'WROTE the egress FIFO'; fi
if ls /var/lib/codex-sandbox/private >/dev/null 2>&1; then echo 'LISTED the egress logs'; fi
echo done
`;

let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-ids-'));
});

afterAll(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

function runWithGid(gid: number) {
  const workdir = path.join(scratch, `project-${gid}`);
  const home = path.join(scratch, `home-${gid}`);
  mkdirSync(workdir);
  mkdirSync(home);
  chownSync(workdir, 4242, gid);
  return runLauncher(['shell', '--work_dir', workdir, '--proxy', `http://user:${PROXY_PASSWORD}@192.0.2.10:3128`, '--', 'bash', '-s'], {
    cwd: workdir,
    env: { HOME: home },
    input: PROBE,
  });
}

/** A group's gid in the image (Debian fixes proxy's; codex-egress is a system gid of the build). */
const gidInImage = (group: string) => Number(docker(['run', '--rm', '--entrypoint', 'getent', IMAGE, 'group', group]).split(':')[2]);

describe('root launcher: a host gid equal to a service group (R34)', () => {
  test.each(['proxy', 'codex-egress'])(
    '(needs root) the agent with the gid of %s reads no squid.conf, writes no FIFO, lists no log',
    (group) => {
      expect(ROOT).toBe(true);
      const gid = gidInImage(group);
      expect(gid).toBeGreaterThan(0);
      const run = runWithGid(gid);
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
      const [groups] = run.stdout.split('\n');
      expect(groups?.split(' ')).toContain(String(gid));
      expect(run.stdout).toContain('done');
      expect(run.stdout).not.toMatch(/READ|WROTE|LISTED/);
      expect(run.stdout + run.stderr).not.toContain(PROXY_PASSWORD);
    },
  );
});
