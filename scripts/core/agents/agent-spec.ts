import type { AgentId } from './agents.js';

/** How a login is asked for (R135): the plain command, `--device-auth`, `--with-api-key`. */
export type LoginMethod = 'default' | 'device-auth' | 'with-api-key';

/** One login flow of an agent (R135-R137): its own login command and what it needs around it. */
export type LoginShape = {
  /** The agent's own login command (the user's extra arguments follow it). */
  argv: readonly string[];
  /** Fixed variables of this flow, beyond the agent's home and settings. */
  env?: ReadonlyArray<readonly [string, string]>;
  /** A callback server the login binds in the container: published on the host's 127.0.0.1 for this run only. */
  callbackPort?: number;
  /** The API key goes to the login's stdin (never a command line or the environment). */
  keyOnStdin?: boolean;
  /** The user pastes a code into it. */
  needsTerminal?: boolean;
  /** It stays interactive after logging in: the launcher stops it once the credential is there. */
  stopWhenStored?: boolean;
  /** settings.json written into the login home first (e.g. the auth type to use). */
  settings?: string;
  /** What to do when it ended without a credential: the end of that one-line error. */
  retry: string;
};

export interface AgentSpec {
  id: AgentId;
  /** As users know it, for messages. */
  title: string;
  /** npm package installed in the image, and the `build` flag that pins its version. */
  npmPackage: string;
  versionFlag: string;
  /** The command on PATH in the image. */
  binary: string;
  /** Oldest Node.js major its CLI starts on (the image adds a newer Node for it when the base's is older). */
  minNodeMajor: number;
  /**
   * Its home inside the per-project home ('' for the home itself, its HOME too). Never a
   * directory an agent reads as project configuration (`.claude/`, `.gemini/`, R121).
   */
  homeDir: string;
  /** Variables that point the CLI at its home (set to the home's container path). */
  homeEnv: readonly string[];
  /** Fixed variables: its own settings that turn telemetry, update checks and its inner sandbox off (R122). */
  fixedEnv: Readonly<Record<string, string>>;
  /** Where its configuration lives below its home ('' = the home itself). */
  configDir: string;
  /** Files copied from the host configuration into the agent's home when missing there. */
  configFiles: readonly string[];
  /**
   * The configuration file `--config` names (one of `configFiles`): given so, it overwrites
   * the home's copy and its directory is searched first for the login and `configDirs` (R8-R10);
   * it is TOML whose model providers' hosts a run allows (R83). Absent: `--config` is refused.
   */
  configFlag?: string;
  /** Directories copied file by file from the host configuration into its configuration directory when missing there (R10). */
  configDirs: readonly string[];
  /**
   * Where its configuration and login are searched on the host, in order (R8, R9, R124):
   * see SearchPlace. Configuration files and `configDirs` are never taken from `store` or `project`.
   */
  hostSearch: readonly SearchPlace[];
  /** The login file below `configDir`: mounted read-only, never copied (R9, R124). */
  credentialFile: string;
  /** A host variable naming its login file (after `--auth_file`, before the search). */
  credentialEnv?: string;
  /** The warning when no login file is found; absent: "no <title> login or API key found", only when no key is set or stored either. */
  missingLogin?: string;
  /** Host variables passed by name (never by value on a command line) when set (R125). */
  keyEnv: readonly string[];
  /** The variable an API key stored by `login --with-api-key` is handed over as. */
  storedKeyEnv?: string;
  /** The variable its users keep an API key in: the example `login --with-api-key` shows for piping it in. */
  apiKeyEnv: string;
  /** Files written into its home when missing (first-start dialogs the container cannot answer). */
  seedFiles: Readonly<Record<string, string>>;
  /** Hosts it needs with an API key (the default allowlist of a run with this agent). */
  allowlist: readonly string[];
  /** More hosts it needs when it runs on a login (refreshing the token). */
  credentialHosts: readonly string[];
  /** Hosts its own login talks to from inside the container. */
  loginHosts: readonly string[];
  /** Which of its credentials the container's proxy injects, and where to (R161): see SecretHosts. */
  secretHosts: SecretHosts;
  /**
   * `exec`'s argv (R50, R126): its own non-interactive mode with permission prompts off.
   * Placeholders: an element '{args}' is replaced by the user's flags; '{prompt}' and
   * '{lastMessage}' are replaced inside an element (one element stays one argument).
   * `lastMessage`: where its final message is read, the file or its stdout.
   */
  headless: { args: readonly string[]; lastMessage: 'file' | 'stdout' };
  /**
   * Hosts it tries on its own that no run needs (update checks, feature flags, telemetry it
   * has no switch for), each with why: shown as "why — not needed", never suggested for --allow.
   */
  backgroundHosts?: Readonly<Record<string, string>>;
  /**
   * How the launcher names the conversation an interactive run leaves, to resume it in a
   * sandbox (its own exit hint names a command that does not exist on the host): see ResumeSpec.
   */
  resume?: ResumeSpec;
  /**
   * Arguments every start of it begins with, before the mode's own (interactive and exec): the
   * image's entrypoint adds them (agent-facts.tsv, R132), e.g. its own switches for update
   * checks and telemetry that have no variable.
   */
  launchArgs?: readonly string[];
  /** Paths (globs) below its npm package deleted after the install (native builds for other systems). */
  installPrune?: readonly string[];
  /** Its logins per method; a missing method is refused; `'store'`: the launcher keeps the key (no container starts). */
  login: Readonly<Partial<Record<LoginMethod, LoginShape | 'store'>>>;
  /** What its inner sandbox and permission prompts do in the container, for doctor/README. */
  permissions: string;
}

/**
 * One place of an agent's host search (R8, R9, R124): the directory a variable names (absolute,
 * plus `suffix`; `checked`: a set variable must name an existing directory, relative to the
 * current directory, else the run is refused), a directory below the home directory or the
 * workdir, the login store of `run-in-container login` (R136), or its configuration directory
 * in the per-project home (a login made inside the sandbox). The last two are searched for the
 * login only.
 */
export type SearchPlace =
  { env: string; suffix?: string; checked?: boolean } | { home: string } | { workdir: string } | { store: true } | { project: true };

/**
 * Where an agent keeps its conversations (below its home: an agent-writable tree, read by name
 * only, R101) and how to resume one: the newest file written during the run whose name matches
 * `fileName` names the conversation.
 */
export interface ResumeSpec {
  /** The directory below its home ('/'-separated), and how many date directories lie below it (Codex: YYYY/MM/DD = 3). */
  sessionsDir: string;
  depth: number;
  /** A conversation file's name: a regular expression whose first group is the id (accepted only as a UUID). */
  fileName: string;
  /** The arguments after `--` that resume it in a sandbox ('{id}' replaced). */
  args: readonly string[];
}

/**
 * Where an agent's credentials may go (R161, R164): the proxy puts the real value into requests
 * to these hosts only; the agent holds placeholders.
 */
export interface SecretHosts {
  /** The variables of `keyEnv` holding a credential (the others, URLs and models, pass as they are). */
  keyEnv: readonly string[];
  /** Where those keys go (with the host of `baseUrlEnv` and the run's model-provider hosts). */
  keys: readonly string[];
  /**
   * A key that belongs to one service goes to its hosts only, instead of `keys` (an OpenAI key
   * is never injected into a request to Anthropic, R161).
   */
  keyHosts?: Readonly<Record<string, readonly string[]>>;
  /** Where the tokens of its login file go. */
  login: readonly string[];
  /** A variable naming another endpoint (a URL): its host is added to `keys`, and to `login` with `baseUrlWithLogin`. */
  baseUrlEnv?: string;
  baseUrlWithLogin?: boolean;
}
