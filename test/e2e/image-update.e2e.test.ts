import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CLI, docker } from './helpers/run-launcher.js';
import { TEST_LABEL } from './helpers/test-network.js';

/**
 * R192-R194: `update` against a FAKE npm registry on 127.0.0.1 (npm_config_registry), with
 * an image whose labels say codex 0.171.0 (a tiny labelled image on the local base, built and
 * removed here). The same version: "up to date", exit 0, nothing built; a newer one: "→" and,
 * with --dry-run, what would be rebuilt. Also the path for a host without npm: `npm view` in a
 * throwaway container of the image. The real rebuild is covered by test/unit/image-update.test.ts.
 */
const BASE = process.env.SANDBOX_BASE_IMAGE ?? 'local/node:bookworm';
const IMAGE = `codex-sandbox-test/update:${process.pid}`;

let latest = '0.171.0';
let requests: string[] = [];
let server: http.Server;
let registry: string;
let scratch: string;

function startRegistry(): Promise<void> {
  server = http.createServer((request, response) => {
    requests.push(request.url ?? '');
    const name = decodeURIComponent((request.url ?? '/').slice(1).split('?')[0] ?? '');
    if (name !== '@openai/codex') {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const manifest = { name, version: latest, dist: { tarball: `${registry}nothing.tgz`, shasum: '0' } };
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ name, 'dist-tags': { latest }, versions: { [latest]: manifest }, time: {} }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      resolve();
    }),
  );
}

/** The CLI asynchronously: the registry answers from this process's event loop. */
function runUpdate(
  args: string[],
  pathDirs = process.env.PATH ?? '/usr/bin:/bin',
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    PATH: pathDirs,
    HOME: path.join(scratch, 'home'),
    npm_config_registry: registry,
    npm_config_cache: path.join(scratch, 'npm-cache'),
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'update', '--image', IMAGE, ...args],
      { env, timeout: 180000, encoding: 'utf8' },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number((error as { code?: unknown }).code ?? 1), stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-update-'));
  mkdirSync(path.join(scratch, 'home'));
  docker(
    ['build', '-q', '--label', TEST_LABEL, '-t', IMAGE, '-'],
    `FROM ${BASE}\nLABEL codex-sandbox.entrypoint="8" codex-sandbox.agent.codex="0.171.0" codex-sandbox.node="18.20.4"` +
      ` codex-sandbox.base="${BASE}"\n`,
  );
  await startRegistry();
}, 300000);

afterAll(async () => {
  spawnSync('docker', ['rmi', '-f', IMAGE]);
  await new Promise((resolve) => server?.close(resolve));
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

beforeEach(() => {
  requests = [];
});

describe('R192 update with the host npm', () => {
  test('the same version: one line per agent, "up to date", exit 0, nothing built', async () => {
    latest = '0.171.0';
    const id = docker(['image', 'inspect', '--format', '{{.Id}}', IMAGE]);
    const result = await runUpdate([]);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 0, stdout: 'codex 0.171.0 (up to date)\nup to date\n' });
    expect(result.stderr).not.toContain('building');
    expect(requests.some((url) => url.includes('codex'))).toBe(true);
    expect(docker(['image', 'inspect', '--format', '{{.Id}}', IMAGE])).toBe(id);
  });

  test('a newer version: "→" and, with --dry-run, what would be rebuilt (same agents, same base)', async () => {
    latest = '0.172.0';
    const result = await runUpdate(['--dry-run']);
    expect({ code: result.code, stdout: result.stdout }).toEqual({
      code: 0,
      stdout: `codex 0.171.0 → 0.172.0\nwould rebuild ${IMAGE} with codex 0.172.0 on ${BASE}\n`,
    });
  });

  test('a prerelease as latest is older than the installed release: up to date', async () => {
    latest = '0.171.0-alpha.9';
    const result = await runUpdate([]);
    expect(result.stdout).toBe("codex 0.171.0 (up to date; newer than npm's latest 0.171.0-alpha.9)\nup to date\n");
  });
});

describe('R192 update on a host without npm: npm view in a throwaway container of the image', () => {
  test('the same answer through the container', async () => {
    latest = '0.172.0';
    const bin = path.join(scratch, 'bin-docker-only');
    mkdirSync(bin, { recursive: true });
    const dockerPath = spawnSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(dockerPath, path.join(bin, 'docker'));
    const result = await runUpdate(['--dry-run'], bin);
    expect({ code: result.code, stdout: result.stdout, stderr: result.code === 0 ? '' : result.stderr }).toEqual({
      code: 0,
      stdout: `codex 0.171.0 → 0.172.0\nwould rebuild ${IMAGE} with codex 0.172.0 on ${BASE}\n`,
      stderr: '',
    });
    expect(requests.some((url) => url.includes('codex'))).toBe(true);
  }, 120000);
});
