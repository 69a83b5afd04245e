import { UsageError } from './errors.js';

/**
 * The registry of agents (R120-R123): everything the launcher and the image need to know
 * about one agent CLI, as plain data. Adding an agent is one entry here plus its tests;
 * the flows read this table and never name an agent themselves (Codex's own search order
 * and home, which predate the registry, stay in search-order.ts and codex-home.ts).
 */
export const AGENT_IDS = ['codex', 'claude', 'gemini'] as const;
export type AgentId = (typeof AGENT_IDS)[number];
export const DEFAULT_AGENT: AgentId = 'codex';

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

/** The Anthropic hosts its keys and tokens are sent to. */
const ANTHROPIC_SECRET_HOSTS = ['api.anthropic.com', 'platform.claude.com', 'console.anthropic.com'];

/** Codex's hosts: log in and talk to OpenAI (R14). */
const CODEX_HOSTS = [
  'api.openai.com',
  'chatgpt.com',
  'chat.openai.com',
  'auth.openai.com',
  'auth0.openai.com',
  'platform.openai.com',
  'openai.com',
];

export const AGENTS: Readonly<Record<AgentId, AgentSpec>> = {
  codex: {
    id: 'codex',
    title: 'Codex',
    npmPackage: '@openai/codex',
    versionFlag: '--codex-version',
    binary: 'codex',
    minNodeMajor: 16,
    homeDir: '',
    homeEnv: ['CODEX_HOME'],
    fixedEnv: {},
    configDir: '',
    configFiles: ['config.toml'],
    hostConfig: { env: 'CODEX_CONFIG_DIR', home: '.codex' },
    credentialFile: 'auth.json',
    keyEnv: ['OPENAI_API_KEY'],
    apiKeyEnv: 'OPENAI_API_KEY',
    seedFiles: {},
    allowlist: CODEX_HOSTS,
    credentialHosts: [],
    loginHosts: ['auth.openai.com'],
    // Its API key and ChatGPT tokens live in auth.json; model-provider hosts are added per run.
    // OPENAI_API_KEY from the host is its provider's `env_key` (R161: a placeholder inside).
    secretHosts: { keyEnv: ['OPENAI_API_KEY'], keys: ['api.openai.com'], login: ['api.openai.com', 'chatgpt.com', 'auth.openai.com'] },
    interactiveArgs: [],
    permissions:
      'its own sandbox (bubblewrap) cannot work in a container: the entrypoint runs it with sandbox_mode="danger-full-access"; ' +
      'approval prompts stay as you configure them',
  },
  claude: {
    id: 'claude',
    title: 'Claude Code',
    npmPackage: '@anthropic-ai/claude-code',
    versionFlag: '--claude-version',
    binary: 'claude',
    minNodeMajor: 18,
    homeDir: 'agents/claude',
    homeEnv: ['CLAUDE_CONFIG_DIR'],
    fixedEnv: {
      // Its own switches for telemetry, feature-flag fetches, update checks and the plugin
      // marketplace: turned off, not allowed (R122).
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
      DISABLE_AUTOUPDATER: '1',
    },
    configDir: '',
    configFiles: ['settings.json', 'CLAUDE.md'],
    hostConfig: { env: 'CLAUDE_CONFIG_DIR', home: '.claude' },
    credentialFile: '.credentials.json',
    keyEnv: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_BASE_URL', 'ANTHROPIC_MODEL'],
    storedKeyEnv: 'ANTHROPIC_API_KEY',
    apiKeyEnv: 'ANTHROPIC_API_KEY',
    // The first start asks for a theme; the container's terminal can answer, but unattended runs cannot.
    seedFiles: { '.claude.json': '{"hasCompletedOnboarding":true}\n' },
    allowlist: ['api.anthropic.com'],
    credentialHosts: ['platform.claude.com'],
    loginHosts: ['platform.claude.com', 'api.anthropic.com'],
    secretHosts: {
      keyEnv: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN'],
      keys: ANTHROPIC_SECRET_HOSTS,
      login: ANTHROPIC_SECRET_HOSTS,
      baseUrlEnv: 'ANTHROPIC_BASE_URL',
      baseUrlWithLogin: true,
    },
    interactiveArgs: [],
    permissions:
      'its Bash sandbox is off by default and cannot work in a container (no bubblewrap); its permission mode and ' +
      'workspace-trust prompt stay yours (exec runs it with --dangerously-skip-permissions: the container is the sandbox)',
  },
  gemini: {
    id: 'gemini',
    title: 'Gemini CLI',
    npmPackage: '@google/gemini-cli',
    versionFlag: '--gemini-version',
    binary: 'gemini',
    minNodeMajor: 20,
    homeDir: 'agents/gemini',
    homeEnv: ['GEMINI_CLI_HOME'],
    // SANDBOX tells it that it already runs in a sandbox: it never starts its own (docker).
    // Usage statistics and update checks are off in the image's /etc/gemini-cli/settings.json.
    fixedEnv: { SANDBOX: 'codex-sandbox' },
    configDir: '.gemini',
    configFiles: ['settings.json', 'GEMINI.md'],
    hostConfig: { env: 'GEMINI_CLI_HOME', envSuffix: '.gemini', home: '.gemini' },
    credentialFile: 'oauth_creds.json',
    keyEnv: [
      'GEMINI_API_KEY',
      'GOOGLE_API_KEY',
      'GOOGLE_GEMINI_BASE_URL',
      'GOOGLE_GENAI_USE_VERTEXAI',
      'GOOGLE_CLOUD_PROJECT',
      'GOOGLE_CLOUD_LOCATION',
      'GEMINI_MODEL',
    ],
    storedKeyEnv: 'GEMINI_API_KEY',
    apiKeyEnv: 'GEMINI_API_KEY',
    seedFiles: {},
    allowlist: ['generativelanguage.googleapis.com'],
    credentialHosts: ['cloudcode-pa.googleapis.com', 'oauth2.googleapis.com', 'www.googleapis.com'],
    loginHosts: ['oauth2.googleapis.com', 'www.googleapis.com', 'cloudcode-pa.googleapis.com'],
    secretHosts: {
      keyEnv: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
      keys: ['generativelanguage.googleapis.com'],
      login: ['oauth2.googleapis.com', 'www.googleapis.com', 'cloudcode-pa.googleapis.com'],
      baseUrlEnv: 'GOOGLE_GEMINI_BASE_URL',
    },
    interactiveArgs: [],
    permissions:
      'SANDBOX=codex-sandbox keeps it from starting its own (docker) sandbox; folder trust and approval mode stay yours ' +
      '(exec runs it with --yolo --skip-trust: the container is the sandbox)',
  },
};

/** `--agent NAME` / `[run] agent = NAME`: one of the registry's ids. */
export function parseAgentId(value: string, source: string): AgentId {
  const id = value.trim().toLowerCase();
  if ((AGENT_IDS as readonly string[]).includes(id)) return id as AgentId;
  throw new UsageError(`${source} ${JSON.stringify(value)} is not an agent: use ${AGENT_IDS.join(', ')}`);
}

/** `build --agents codex,claude`: known ids, each once, in registry order. */
export function parseAgentList(value: string, source = '--agents'): AgentId[] {
  const ids = value
    .split(/[\s,]+/)
    .filter((part) => part !== '')
    .map((part) => parseAgentId(part, source));
  if (ids.length === 0) throw new UsageError(`${source} is empty: name at least one of ${AGENT_IDS.join(', ')}`);
  return AGENT_IDS.filter((id) => ids.includes(id));
}

/**
 * The headless argv of `exec` (R50, R126): the agent's own non-interactive mode with its
 * permission prompts off (nobody is there to answer; the container is the sandbox), the
 * user's flags, then the prompt. Codex writes its last message to a file; the others print
 * it on stdout.
 */
export function buildHeadlessArgs(
  agent: AgentId,
  prompt: string,
  passThrough: readonly string[],
  lastMessagePath: string,
): { args: string[]; lastMessage: 'file' | 'stdout' } {
  switch (agent) {
    case 'codex':
      return {
        args: ['exec', '--skip-git-repo-check', '--output-last-message', lastMessagePath, ...passThrough, '--', prompt],
        lastMessage: 'file',
      };
    case 'claude':
      return { args: ['-p', '--dangerously-skip-permissions', ...passThrough, '--', prompt], lastMessage: 'stdout' };
    case 'gemini':
      // One element: a prompt that starts with '-' is still the prompt's value, not a flag.
      return { args: ['--yolo', '--skip-trust', ...passThrough, `--prompt=${prompt}`], lastMessage: 'stdout' };
  }
}

/** The agent's home in the container, below the Codex home's container path. */
export function agentHomeIn(codexHome: string, agent: AgentSpec): string {
  return agent.homeDir === '' ? codexHome : `${codexHome}/${agent.homeDir}`;
}

/** Its configuration directory in the container (Codex: its home). */
export function agentConfigIn(codexHome: string, agent: AgentSpec): string {
  const home = agentHomeIn(codexHome, agent);
  return agent.configDir === '' ? home : `${home}/${agent.configDir}`;
}
