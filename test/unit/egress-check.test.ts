import { jest } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { egressCheckCommand, type EgressCheckOptions } from '../../scripts/app/egress-check.js';
import type { EgressFlags } from '../../scripts/app/run-options.js';
import { approve } from '../../scripts/app/trust-check.js';
import { UsageError } from '../../scripts/core/errors.js';
import type { HostContext } from '../../scripts/host/host-context.js';
import { readProjectSettings } from '../../scripts/host/settings-file.js';
import { makeTempDir, removeTempDir, snapshotTree, writeFile } from './helpers/temp-dir.js';

/** `egress check` (R169) in-process: a temporary workdir, a fake HOME, the run's own steps. */

let tmp: string;
let work: string;
let ctx: HostContext;
let out: string[];
let err: string[];

beforeEach(() => {
  tmp = makeTempDir('codex-sandbox-egress-check-');
  work = path.join(tmp, 'work');
  fs.mkdirSync(path.join(tmp, 'home'));
  fs.mkdirSync(work);
  ctx = { cwd: work, env: {}, home: path.join(tmp, 'home'), uid: 1, gid: 1, stdinIsTTY: false, stdoutIsTTY: false, pid: 1, hostname: 'h' };
  out = [];
  err = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  // Node's own warning about --experimental-vm-modules is not the launcher's.
  jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk) => /ExperimentalWarning|--trace-warnings/.test(String(chunk)) || err.push(String(chunk)) > 0);
});
afterEach(() => {
  jest.restoreAllMocks();
  removeTempDir(tmp);
});

function flags(partial: Partial<EgressFlags> = {}): EgressFlags {
  return { allow: [], deny: [], allowHostPorts: [], caCerts: [], providerAllow: true, noInspect: [], ...partial };
}

async function check(host: string, options: Partial<EgressCheckOptions> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const code = await egressCheckCommand({ host, json: false, egress: flags(), ...options }, ctx);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const settingsFile = () => path.join(work, '.codex', 'sandbox.ini');

async function trustProjectFile(): Promise<void> {
  const file = await readProjectSettings(work);
  if (file === undefined) throw new Error('no project file');
  await approve(file, [], ctx);
}

describe('egress check HOST (R169)', () => {
  it("Codex's built-in hosts; exit 0, nothing on stderr", async () => {
    expect(await check('api.openai.com')).toEqual({
      code: 0,
      stdout: 'api.openai.com:443 allowed — api.openai.com (defaults (Codex))\n',
      stderr: '',
    });
  });

  it('not allowed: exit 1 and the --allow that would allow it', async () => {
    expect(await check('evil.example')).toEqual({
      code: 1,
      stdout: 'evil.example:443 refused — no rule allows it (allow with: --allow evil.example)\n',
      stderr: '',
    });
  });

  it('--allow and --deny given with the check, a preset named by --allow', async () => {
    const egress = flags({ allow: ['@github'], deny: ['gist.github.com'] });
    expect((await check('api.github.com', { egress })).stdout).toBe(
      'api.github.com:443 allowed — api.github.com from preset @github (--allow)\n',
    );
    out.length = 0;
    expect(await check('gist.github.com', { egress })).toEqual({
      code: 1,
      stdout: 'gist.github.com:443 refused — denied by gist.github.com (--deny)\n',
      stderr: '',
    });
  });

  it('--json: one object, schema v1', async () => {
    const code = await egressCheckCommand({ host: 'PyPI.org', json: true, egress: flags({ allow: ['@pypi'] }) }, ctx);
    expect(code).toBe(0);
    expect(out).toEqual(['{"v":1,"host":"pypi.org","port":443,"allowed":true,"pattern":"pypi.org","source":"--allow","preset":"@pypi"}\n']);
  });

  it('a trusted project file: its allow and its deny (which wins over --allow), named by file and key', async () => {
    writeFile(settingsFile(), '[network]\nallow = settings.test\ndeny = denied.test\n');
    await trustProjectFile();
    expect(await check('settings.test')).toEqual({
      code: 0,
      stdout: `settings.test:443 allowed — settings.test (${settingsFile()} [network] allow)\n`,
      stderr: '',
    });
    out.length = 0;
    expect(await check('denied.test', { egress: flags({ allow: ['denied.test'] }) })).toEqual({
      code: 1,
      stdout: `denied.test:443 refused — denied by denied.test (${settingsFile()} [network] deny)\n`,
      stderr: '',
    });
  });

  it('an untrusted project file: one line on stderr, checked as the run would be without it (its agent too)', async () => {
    writeFile(settingsFile(), '[network]\nallow = settings.test\n[run]\nagent = claude\n');
    const before = snapshotTree(tmp);
    expect(await check('settings.test')).toEqual({
      code: 1,
      stdout: 'settings.test:443 refused — no rule allows it (allow with: --allow settings.test)\n',
      stderr:
        `warning: ${settingsFile()} is not trusted (a run asks first): checked without it; ` + 'to apply it run `run-in-container trust`\n',
    });
    out.length = 0;
    expect((await check('api.openai.com')).stdout).toBe('api.openai.com:443 allowed — api.openai.com (defaults (Codex))\n');
    // Nothing was written: no trust, no Codex home, no state.
    expect(snapshotTree(tmp)).toEqual(before);
  });

  it('the agent of a trusted project file, and --agent over it', async () => {
    writeFile(settingsFile(), '[run]\nagent = claude\n');
    await trustProjectFile();
    expect((await check('api.anthropic.com')).stdout).toBe('api.anthropic.com:443 allowed — api.anthropic.com (defaults (Claude Code))\n');
    out.length = 0;
    expect((await check('api.openai.com')).code).toBe(1);
    out.length = 0;
    expect((await check('api.openai.com', { agent: 'codex' })).stdout).toBe(
      'api.openai.com:443 allowed — api.openai.com (defaults (Codex))\n',
    );
  });

  it("OPENAI_ALLOWED_DOMAINS and config.toml's model providers (a Codex run's only)", async () => {
    ctx = { ...ctx, env: { OPENAI_ALLOWED_DOMAINS: 'env.test' } };
    writeFile(
      path.join(tmp, 'home', '.codex', 'config.toml'),
      'model_provider = "lab"\n[model_providers.lab]\nname = "lab"\nbase_url = "http://provider.test/v1"\n',
    );
    expect((await check('env.test')).stdout).toBe('env.test:443 allowed — env.test (OPENAI_ALLOWED_DOMAINS)\n');
    out.length = 0;
    expect((await check('provider.test')).stdout).toBe('provider.test:443 allowed — provider.test (config.toml model_providers)\n');
    out.length = 0;
    expect((await check('provider.test', { egress: flags({ providerAllow: false }) })).code).toBe(1);
    out.length = 0;
    expect((await check('provider.test', { agent: 'claude' })).code).toBe(1);
  });

  it('ports: a port entry, a name allowed for HTTP(S) only, a port of the Docker host', async () => {
    const egress = flags({ allow: ['db.test:5432', 'pypi.org'], allowHostPorts: ['3000'] });
    expect((await check('db.test:5432', { egress })).stdout).toBe('db.test:5432 allowed — db.test:5432 (--allow)\n');
    out.length = 0;
    expect((await check('pypi.org:5432', { egress })).stdout).toBe(
      'pypi.org:5432 refused — the name is allowed, port 5432 is not (allow with: --allow pypi.org:5432)\n',
    );
    out.length = 0;
    expect((await check('host.docker.internal:3000', { egress })).stdout).toBe(
      'host.docker.internal:3000 allowed — host.docker.internal:3000 (--allow-host-port)\n',
    );
  });

  it('a malformed host: a UsageError before anything is read, nothing printed', async () => {
    writeFile(settingsFile(), 'not an ini file [');
    await expect(check('*.pypi.org')).rejects.toThrow(UsageError);
    await expect(check('pypi.org:99999')).rejects.toThrow('egress check "pypi.org:99999": port "99999" is not a TCP port');
    expect({ out, err }).toEqual({ out: [], err: [] });
  });
});
