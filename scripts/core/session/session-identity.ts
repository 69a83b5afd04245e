import { LABEL_PREFIX } from '../run/container-identity.js';
import { UsageError } from '../errors.js';

/** Labels only sessions (and multi-directory runs) carry; the session label is the identity. */
export const SESSION_LABELS = {
  session: `${LABEL_PREFIX}.session`,
  /** Canonical JSON of the mount set, compared by --strict-mounts. */
  mounts: `${LABEL_PREFIX}.mounts`,
  /** JSON array of every workdir (only when more than one). */
  workdirs: `${LABEL_PREFIX}.workdirs`,
} as const;

/** Where `SANDBOX_COMMAND=session` marks "setup finished" (see image/CONTRACT.md). */
export const SESSION_READY_FILE = '/run/codex-sandbox/session-ready';

/** Short enough that `codex-session-<name>-<n>` stays a readable docker name. */
export const MAX_SESSION_NAME = 40;
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Docker-name syntax, at most 40 characters; the error says what to use instead. */
export function validateSessionName(name: string, flag = '--name'): string {
  if (!NAME.test(name) || name.length > MAX_SESSION_NAME) {
    throw new UsageError(
      `${flag} ${JSON.stringify(name)} is not a session name: ` +
        `use 1-${MAX_SESSION_NAME} letters, digits, '_', '.' or '-', starting with a letter or digit`,
    );
  }
  return name;
}

/** The container's name (readable; the label, not this name, identifies the session). */
export function buildSessionContainerName(name: string): string {
  return `codex-session-${name}`;
}

/** `--parallel`: NAME when free, else the first free NAME-2, NAME-3, … */
export function pickParallelName(name: string, taken: readonly string[]): string {
  const used = new Set(taken);
  if (!used.has(name)) return name;
  for (let n = 2; ; n += 1) {
    const candidate = `${name}-${n}`;
    if (!used.has(candidate)) return validateSessionName(candidate, '--name (with its --parallel suffix)');
  }
}
