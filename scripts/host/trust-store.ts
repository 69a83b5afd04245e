import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError } from '../core/errors.js';
import { EMPTY_TRUST_STORE, parseTrustStore, type TrustStore } from '../core/trust.js';
import type { HostContext } from './host-context.js';
import { errorCode } from './error-code.js';

/** `~/.config/codex-sandbox/trust.json`: on the host, outside every workdir (like direnv's allow list). */
export function trustStorePath(ctx: HostContext): string {
  if (ctx.home === undefined)
    throw new EnvironmentError('HOME is not set: the settings trust store lives in ~/.config/codex-sandbox; set HOME');
  return path.join(ctx.home, '.config', 'codex-sandbox', 'trust.json');
}

export async function readTrustStore(ctx: HostContext): Promise<TrustStore> {
  const file = trustStorePath(ctx);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return EMPTY_TRUST_STORE;
    throw new EnvironmentError(`${file} cannot be read (${errorCode(error)}): fix its permissions`);
  }
  return parseTrustStore(text, file);
}

/** Written to a temporary file (mode 0600) and renamed: never half a store, never world-readable. */
export async function writeTrustStore(ctx: HostContext, store: TrustStore): Promise<void> {
  const file = trustStorePath(ctx);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(store, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(temporary, 0o600);
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw new EnvironmentError(`cannot write ${file} (${errorCode(error)}): fix the permissions of ${path.dirname(file)}`);
  }
}
