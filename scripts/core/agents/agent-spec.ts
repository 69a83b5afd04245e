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
   * Its home inside the per-project Codex home ('' for Codex, whose home it is). Never a
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
   * Host configuration directories, in search order: a variable naming the directory (with
   * `envSuffix` appended) and a directory below the home directory.
   */
  hostConfig: { env?: string; envSuffix?: string; home: string };
  /** The login file below `configDir`: mounted read-only, never copied (R9, R124). */
  credentialFile: string;
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
  /** Arguments an interactive run puts before the user's (after `--`). */
  interactiveArgs: readonly string[];
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
   * Its exit hint naming a conversation to resume (a regular expression whose first group is
   * the id) and the arguments after `--` that resume it in a sandbox ('{id}' replaced).
   */
  resume?: { hint: string; args: readonly string[] };
  /** Arguments every start of it begins with, before the mode's own (interactive and exec). */
  launchArgs?: readonly string[];
  /** Paths below its npm package deleted after the install (native builds for other systems). */
  installPrune?: readonly string[];
  /** Its logins per method; a missing method is refused; `'store'`: the launcher keeps the key (no container starts). */
  login: Readonly<Partial<Record<LoginMethod, LoginShape | 'store'>>>;
  /** What its inner sandbox and permission prompts do in the container, for doctor/README. */
  permissions: string;
}

/**
 * Where an agent's credentials may go (R161, R164): the proxy puts the real value into requests
 * to these hosts only; the agent holds placeholders.
 */
export interface SecretHosts {
  /** The variables of `keyEnv` holding a credential (the others, URLs and models, pass as they are). */
  keyEnv: readonly string[];
  /** Where those keys go. */
  keys: readonly string[];
  /** Where the tokens of its login file go. */
  login: readonly string[];
  /** A variable naming another endpoint (a URL): its host is added to `keys`, and to `login` with `baseUrlWithLogin`. */
  baseUrlEnv?: string;
  baseUrlWithLogin?: boolean;
}
