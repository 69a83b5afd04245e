import fs from 'node:fs';
import path from 'node:path';
import { runCli } from './helpers/run-cli.js';
import { makeTempDir, removeTempDir, writeFile } from './helpers/temp-dir.js';

/**
 * R173, R174 through the built CLI, with a fake `podman` as the only engine on PATH: it logs
 * every argv (one argument per line, calls separated by `--END--`) and answers like Podman 4.
 * Its first `image inspect` prints nothing, as rootless Podman did right after a build.
 */
const LABELS = '{"codex-sandbox.entrypoint":"8","codex-sandbox.agent.codex":"0.171.0","codex-sandbox.node":"22.1.0"}';
const FAKE_PODMAN = `#!/bin/sh
for arg in "$@"; do printf '%s\\n' "$arg" >> "$FAKE_LOG"; done
printf -- '--END--\\n' >> "$FAKE_LOG"
case "$1" in
  --version) echo "podman version 4.3.1" ;;
  version) echo "4.3.1" ;;
  image)
    if [ -f "$FAKE_LOG.inspected" ]; then echo '${LABELS}'
    else : > "$FAKE_LOG.inspected"; echo 'level=warning msg="Found incomplete layer"' >&2; fi ;;
  ps) ;;
  run) echo "probe ok" ;;
esac
exit 0
`;

let tmp: string;
let bin: string;
let log: string;

beforeEach(() => {
  tmp = makeTempDir('cs-engine-cli-');
  bin = path.join(tmp, 'bin');
  log = path.join(tmp, 'podman.log');
  writeFile(path.join(bin, 'podman'), FAKE_PODMAN, 0o755);
});

afterEach(() => removeTempDir(tmp));

const calls = () =>
  fs
    .readFileSync(log, 'utf8')
    .split('--END--\n')
    .filter((call) => call !== '')
    .map((call) => call.trimEnd().split('\n'));
const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { cwd: tmp, home: path.join(tmp, 'home'), pathWithoutDocker: bin, env: { FAKE_LOG: log, ...env } });

test('with only podman on PATH, doctor says so, and asks podman again when its first answer was empty', () => {
  const result = cli(['doctor']);
  const lines = result.stdout.split('\n');
  expect(lines[0]).toMatch(/^ok +container engine +podman \((rootful|rootless)\): only podman is installed$/);
  expect(lines[1]).toMatch(/^ok +podman CLI +podman version 4\.3\.1$/);
  expect(result.stdout).toMatch(/^ok +sandbox image +codex-sandbox:latest, codex 0\.171\.0/m);
  const inspects = calls().filter((argv) => argv[0] === 'image');
  expect(inspects).toHaveLength(2);
  expect(inspects[0]).toEqual(['image', 'inspect', '--format', '{{json .Config.Labels}}', 'codex-sandbox:latest']);
});

test("list asks podman in Podman's template dialect", () => {
  const result = cli(['list', '--format', 'json'], { CONTAINER_ENGINE: 'podman' });
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  const ps = calls().find((argv) => argv[0] === 'ps');
  expect(ps?.slice(0, 6)).toEqual(['ps', '-a', '--no-trunc', '--filter', 'label=codex-sandbox.managed=true', '--format']);
  expect(ps?.[6]).toContain('{{json .ListContainer.State}}');
  expect(ps?.[6]).toContain('{{json (index .Labels "codex-sandbox.session")}}');
});

test('a bad engine name is refused before any engine is asked', () => {
  for (const [args, env, message] of [
    [['list', '--engine', 'lxc'], {}, '--engine "lxc" is not an engine: use docker or podman'],
    [['list'], { CONTAINER_ENGINE: 'containerd' }, 'CONTAINER_ENGINE "containerd" is not an engine: use docker or podman'],
  ] as const) {
    const result = cli([...args], { ...env });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 2, stderr: `run-in-container: ${message}\n` });
  }
  expect(fs.existsSync(log)).toBe(false);
});

test('--dry-run prints the podman command line; --allow-host-port is refused under podman', () => {
  const workdir = path.join(tmp, 'project');
  fs.mkdirSync(workdir);
  const dry = cli(['shell', '--engine', 'podman', '--dry-run', '--yes', '--work_dir', workdir, '--', 'true']);
  expect(dry.status).toBe(0);
  const argv = JSON.parse(dry.stdout.trim().split('\n').pop() ?? '[]') as string[];
  expect(argv.slice(0, 2)).toEqual(['podman', 'run']);
  const refused = cli(['shell', '--engine', 'podman', '--allow-host-port', '8080', '--yes', '--work_dir', workdir, '--', 'true']);
  expect(refused.status).toBe(2);
  expect(refused.stderr).toMatch(/^run-in-container: --allow-host-port and a proxy on the host's loopback need Docker's host-gateway/m);
  expect(fs.readdirSync(workdir)).toEqual([]);
});
