/**
 * How much the launcher ever reads (or keeps) of something the agent can write (R109): a
 * huge, sparse or endless file is refused or cut, never read whole.
 */
const KiB = 1024;
const MiB = 1024 * KiB;

export const READ_LIMITS = {
  /** config.toml (copied into the Codex home, parsed for model providers). */
  configToml: 1 * MiB,
  /** An agent's configuration file copied into its home (settings.json, CLAUDE.md, GEMINI.md). */
  agentConfig: 1 * MiB,
  /** A login or API key `run-in-container login` stores (R136). */
  credential: 256 * KiB,
  /** One extra CA certificate file (--ca-cert, SANDBOX_CA_CERTS, NODE_EXTRA_CA_CERTS). */
  caCert: 4 * MiB,
  /** The init script copied to the Codex home. */
  initScript: 4 * MiB,
  /** One prompt file; how many; all of them together. */
  promptFile: 1 * MiB,
  promptFiles: 1000,
  promptBytes: 16 * MiB,
  /** `.codex/sandbox.ini` and the user's config.ini. */
  settings: 64 * KiB,
  /** The agent's final message (`exec`). */
  lastMessage: 1 * MiB,
  /** `.git` files (gitdir: …), HEAD, loose refs; packed-refs. */
  gitFile: 64 * KiB,
  packedRefs: 4 * MiB,
  /**
   * One file recorded by --track (larger ones are recorded as a note with their size); also
   * the most bytes of tracked files held at once, however many are read concurrently.
   */
  trackedFile: 128 * MiB,
  /** One line of `exec` output in run.log; the whole run.log. */
  logLine: 64 * KiB,
  runLog: 64 * MiB,
  /** A run's raw egress log (the sandbox caps it at 8 MiB, image/lib-egress.sh; a little more is allowed). */
  egressLog: 9 * MiB,
  /**
   * A run's record in the launcher's state directory (R146): a full raw log can aggregate to
   * more; the record keeps the most frequent destinations within this and counts the rest.
   */
  egressRecord: 4 * MiB,
  /** The `run.json` of a raw egress directory (where an orphaned log's record goes). */
  egressOwner: 64 * KiB,
  /** Entries `--protect-git` visits looking for nested repositories. */
  gitSearchEntries: 200_000,
} as const;
