import { explainInvalidDomain } from '../egress/allowlist.js';
import { UsageError } from '../errors.js';

/** `--repo URL [--ref REF] [--repo-dir NAME]`, validated: what the entrypoint clones. */
export interface RepoSpec {
  url: string;
  host: string;
  ref?: string;
  dir: string;
}

export interface RepoInput {
  url: string;
  ref?: string;
  dir?: string;
}

// The firewall opens TCP 80/443 only (R80 adds host:port for ssh).
const FIREWALL_PORTS = ['', '80', '443'];
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;
const RESERVED_DIRS = ['.git', '.codex'];

/** True when `host` is in the allowlist: an exact entry, or a `*.parent` entry for a subdomain. */
export function isHostAllowed(host: string, allowlist: readonly string[]): boolean {
  return allowlist.some((entry) =>
    entry.startsWith('*.') ? host.endsWith(entry.slice(1)) && host.length > entry.length - 1 : entry === host,
  );
}

/** Why `ref` is not a ref git would accept (git check-ref-format, plus no leading '-'), or undefined. */
export function explainInvalidRef(ref: string): string | undefined {
  if (ref === '') return 'it is empty';
  if (ref.length > 255) return 'it is longer than 255 characters';
  if (ref.startsWith('-')) return "it starts with '-'";
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref)) return 'it contains a space, a control character or one of ~ ^ : ? * [ \\';
  if (ref.includes('..')) return "it contains '..'";
  if (ref.includes('@{') || ref === '@') return "it contains '@{' or is '@'";
  if (ref.includes('//') || ref.startsWith('/') || ref.endsWith('/')) return "it has an empty component ('//' or a '/' at either end)";
  if (ref.endsWith('.')) return "it ends with '.'";
  const parts = ref.split('/');
  if (parts.some((part) => part.startsWith('.') || part.endsWith('.lock'))) return "a component starts with '.' or ends with '.lock'";
  return undefined;
}

/** Why `name` is not a safe single directory name for the clone, or undefined. */
export function explainInvalidRepoDir(name: string): string | undefined {
  if (!SEGMENT.test(name)) return 'use 1-100 letters, digits, ".", "_" or "-", not starting with "." or "-", no "/"';
  if (RESERVED_DIRS.includes(name.toLowerCase())) return `${name} is reserved`;
  return undefined;
}

/** The directory name git would choose: the URL's last path segment without `.git`. */
export function defaultRepoDir(pathname: string): string | undefined {
  const last = pathname
    .split('/')
    .filter((part) => part !== '')
    .pop();
  if (last === undefined) return undefined;
  let name = last.replace(/\.git$/, '');
  try {
    name = decodeURIComponent(name);
  } catch {
    return undefined;
  }
  return explainInvalidRepoDir(name) === undefined ? name : undefined;
}

function refuseUrl(url: string, why: string): never {
  throw new UsageError(`--repo ${JSON.stringify(url)}: ${why}`);
}

/**
 * Validates the clone request against the (already validated) allowlist. Only http(s) on
 * ports 80/443 can pass the firewall today; credentials in the URL are refused because they
 * would land in the container's environment, `docker inspect` and the run report.
 */
export function validateRepoSpec(input: RepoInput, allowlist: readonly string[], denied: readonly string[] = []): RepoSpec {
  const raw = input.url;
  if (raw === '' || raw.length > 2048 || /[\x00-\x20\x7f]/.test(raw) || raw.startsWith('-')) {
    refuseUrl(raw, 'not a clone URL: use e.g. https://github.com/owner/repo.git');
  }
  if (/^ssh:\/\//i.test(raw) || /^[^/:]+@[^/:]+:/.test(raw) || /^git:\/\//i.test(raw)) {
    refuseUrl(raw, 'ssh and git:// URLs cannot pass the sandbox firewall (only ports 80/443): use the https:// URL of the repository');
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    refuseUrl(raw, 'not a clone URL: use e.g. https://github.com/owner/repo.git');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    refuseUrl(raw, `${url.protocol} URLs are not supported: use an https:// (or http://) URL`);
  }
  if (url.username !== '' || url.password !== '') {
    refuseUrl(raw, 'credentials in the URL would be stored in the container environment and the run report: remove them');
  }
  if (!FIREWALL_PORTS.includes(url.port)) {
    refuseUrl(raw, `port ${url.port} is blocked by the sandbox firewall (only 80 and 443): use the standard port`);
  }
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const why = explainInvalidDomain(host);
  if (why !== undefined) refuseUrl(raw, `the host ${JSON.stringify(host)} is not a host name the firewall can allow (${why})`);
  if (!isHostAllowed(host, allowlist)) {
    throw new UsageError(
      `--repo host ${host} is not allowed through the firewall: allow it with OPENAI_ALLOWED_DOMAINS=${host} (or --allow ${host})`,
    );
  }
  if (isHostAllowed(host, denied)) {
    throw new UsageError(`--repo host ${host} is denied (deny wins over allow): remove the deny entry or clone from another host`);
  }
  if (input.ref !== undefined) {
    const refWhy = explainInvalidRef(input.ref);
    if (refWhy !== undefined)
      throw new UsageError(`--ref ${JSON.stringify(input.ref)} is not a git ref (${refWhy}): use e.g. main, v1.2.0 or a commit id`);
  }
  let dir: string;
  if (input.dir !== undefined) {
    const dirWhy = explainInvalidRepoDir(input.dir);
    if (dirWhy !== undefined) throw new UsageError(`--repo-dir ${JSON.stringify(input.dir)} is not a safe directory name: ${dirWhy}`);
    dir = input.dir;
  } else {
    const derived = defaultRepoDir(url.pathname);
    if (derived === undefined) refuseUrl(raw, 'no directory name can be derived from it: give one with --repo-dir NAME');
    dir = derived;
  }
  return { url: url.href, host, ...(input.ref === undefined ? {} : { ref: input.ref }), dir };
}

/**
 * `--repo URL@REF` (R180): the ref after an `@` in the URL's path, e.g.
 * `https://github.com/o/r@main`. An `@` before the path is userinfo (refused later, R53); a
 * URL without one in its path is returned unchanged.
 */
export function splitRepoShorthand(raw: string): { url: string; ref?: string } {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(raw);
  if (scheme === null) return { url: raw };
  const pathStart = raw.indexOf('/', scheme[0].length);
  const at = pathStart < 0 ? -1 : raw.indexOf('@', pathStart);
  if (at < 0) return { url: raw };
  return { url: raw.slice(0, at), ref: raw.slice(at + 1) };
}
