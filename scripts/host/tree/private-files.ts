import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError, UsageError } from '../../core/errors.js';
import { isSameOrInside } from '../../core/run/path-rules.js';
import { loginCopyName, renderSecretsFile, secretsFileName, type SecretEntry } from '../../core/run/run-secrets.js';
import { stateDirOf, type HostContext } from '../host-context.js';
import { createHandbackDir } from '../agents/login-handback.js';

/** A directory only this user can enter: a real directory (no link), owned by `uid`. */
async function isOwnDirectory(dir: string, uid: number): Promise<boolean> {
  const info = await lstat(dir).catch(() => undefined);
  return info !== undefined && info.isDirectory() && info.uid === uid;
}

/** Where this user's private files could be: the runtime directory (a tmpfs, gone at logout) first, then the state directory. */
async function listPrivateDirs(ctx: Pick<HostContext, 'env' | 'home' | 'uid'>): Promise<string[]> {
  const dirs: string[] = [];
  const runtime = ctx.env.XDG_RUNTIME_DIR;
  if (runtime !== undefined && path.isAbsolute(runtime) && (await isOwnDirectory(runtime, ctx.uid))) {
    dirs.push(path.join(runtime, 'codex-sandbox', 'secrets'));
  }
  const state = stateDirOf(ctx);
  if (state !== undefined) dirs.push(path.join(state, 'secrets'));
  return dirs;
}

/**
 * The launcher-private directory for a run's secrets file and login placeholder copies (R161):
 * `$XDG_RUNTIME_DIR/codex-sandbox/secrets` when that is this user's own directory, else
 * `${XDG_STATE_HOME:-~/.local/state}/codex-sandbox/secrets`. Never inside a tree the agent can
 * write. Only computed: ensurePrivateDir creates it.
 */
export async function choosePrivateDir(ctx: Pick<HostContext, 'env' | 'home' | 'uid'>, trees: readonly string[]): Promise<string> {
  const [dir] = await listPrivateDirs(ctx);
  if (dir === undefined) throw new UsageError('credentials need a private directory: set HOME or XDG_RUNTIME_DIR (absolute)');
  const tree = trees.find((root) => isSameOrInside(root, dir));
  if (tree !== undefined) {
    throw new UsageError(
      `the private directory for credentials ${dir} lies in ${tree}, which the agent can write: ` +
        'set XDG_RUNTIME_DIR or XDG_STATE_HOME to a directory outside it',
    );
  }
  return dir;
}

/** Creates `dir` and its `codex-sandbox` parent 0700 and checks both are this user's real directories (no links). */
async function ensurePrivateDir(dir: string, uid: number): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const each of [path.dirname(dir), dir]) {
    if (!(await isOwnDirectory(each, uid))) {
      throw new EnvironmentError(`${each} is not a directory of your own (a link, or another owner): remove it and run again`);
    }
    await chmod(each, 0o700);
  }
}

/** Writes one private file, 0600, created fresh (O_EXCL) and never through a link (R161). */
export async function writePrivateFile(dir: string, name: string, text: string, uid: number, mode = 0o600): Promise<string> {
  await ensurePrivateDir(dir, uid);
  const file = path.join(dir, name);
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    await handle.chmod(mode); // whatever the umask
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
  return file;
}

/** Removes one run's private files (`<runId>.…`) wherever they may be; never fails (a run's end, `destroy`). */
export async function removeRunPrivateFiles(ctx: Pick<HostContext, 'env' | 'home' | 'uid'>, runId: string): Promise<void> {
  if (!/^[A-Za-z0-9_-]+$/.test(runId)) return;
  for (const dir of await listPrivateDirs(ctx)) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      // Files, and the handback directory (R164): never through a link (rm removes the link itself).
      if (name.startsWith(`${runId}.`)) await rm(path.join(dir, name), { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

/**
 * A run's secrets file and login placeholder copy, named after its run id (R161, R164): right
 * before the container starts; removeRunPrivateFiles removes them when the run (or its session) ends.
 */
export async function writeRunSecrets(
  secrets: { dir: string; entries: readonly SecretEntry[]; loginCopy?: { text: string; credentialFile: string } },
  runId: string,
  uid: number,
): Promise<void> {
  await writePrivateFile(secrets.dir, secretsFileName(runId), renderSecretsFile(secrets.entries), uid);
  if (secrets.loginCopy !== undefined) {
    // Placeholders only, and the agent (another uid when the workdir's owner is not you) must read it:
    // 0644 in the 0700 directory (R164).
    await writePrivateFile(secrets.dir, loginCopyName(runId, secrets.loginCopy.credentialFile), secrets.loginCopy.text, uid, 0o644);
    await createHandbackDir(secrets.dir, runId);
  }
}
