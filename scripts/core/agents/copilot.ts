import type { AgentSpec } from './agent-spec.js';

/*
 * Facts checked against @github/copilot 1.0.102 in a throwaway container (`copilot --help`,
 * `copilot help environment|config|providers|sandbox`, `copilot login --help`, its traffic
 * through a logging proxy) and docs.github.com ("Installing GitHub Copilot CLI", "GitHub
 * Copilot CLI configuration directory", "Copilot allowlist reference").
 */

/**
 * Where a Copilot token goes: api.github.com answers `copilot_internal/user` (the account and
 * its plan's API endpoint), the model API is api.githubcopilot.com or the plan's
 * api.{individual,business,enterprise}.githubcopilot.com ("Copilot allowlist reference").
 * With a placeholder token and nothing reachable, 1.0.102 tried api.github.com only.
 */
const COPILOT_HOSTS = [
  'api.github.com',
  'api.githubcopilot.com',
  'api.individual.githubcopilot.com',
  'api.business.githubcopilot.com',
  'api.enterprise.githubcopilot.com',
];

/** GitHub's Copilot CLI. */
export const COPILOT: AgentSpec = {
  id: 'copilot',
  title: 'GitHub Copilot CLI',
  npmPackage: '@github/copilot',
  versionFlag: '--copilot-version',
  binary: 'copilot',
  // "Prerequisite: Node.js 22 or later" (docs.github.com, installing with npm). Its npm-loader.js
  // only starts a native build (@github/copilot-linux-x64), but 22 is what GitHub supports.
  minNodeMajor: 22,
  homeDir: 'agents/copilot',
  // "COPILOT_HOME: … where configuration and state files are stored; defaults to $HOME/.copilot".
  homeEnv: ['COPILOT_HOME'],
  // Its own switch for update downloads (`copilot help environment`); client telemetry has
  // only a flag (launchArgs). Its command sandbox (bubblewrap) is off unless enabled (R122).
  fixedEnv: { COPILOT_AUTO_UPDATE: 'false' },
  configDir: '',
  // settings.json: the user's settings (renamed from config.json; config.json is state it
  // rewrites); copilot-instructions.md: personal instructions for every session.
  configFiles: ['settings.json', 'copilot-instructions.md'],
  configDirs: [],
  hostSearch: [{ env: 'COPILOT_HOME' }, { store: true }, { home: '.copilot' }],
  // No login file can be mounted: `copilot login` keeps its token in the system keychain, or
  // in plain text in config.json next to state it rewrites. This name is one Copilot never
  // writes, so no host file is mounted; the login is the token in COPILOT_GITHUB_TOKEN (R125).
  // Without it (or a BYOK provider) the generic warning names `login --agent copilot` and the variable.
  credentialFile: 'codex-sandbox-no-login-file',
  // COPILOT_GITHUB_TOKEN is the first of its token variables (COPILOT_GITHUB_TOKEN, GH_TOKEN,
  // GITHUB_TOKEN): only it is passed, so a general GitHub token never reaches the sandbox.
  // COPILOT_PROVIDER_*: its own model provider instead of GitHub's ("BYOK", `copilot help providers`).
  keyEnv: [
    'COPILOT_GITHUB_TOKEN',
    'COPILOT_PROVIDER_BASE_URL',
    'COPILOT_PROVIDER_TYPE',
    'COPILOT_PROVIDER_API_KEY',
    'COPILOT_PROVIDER_WIRE_API',
    'COPILOT_MODEL',
  ],
  storedKeyEnv: 'COPILOT_GITHUB_TOKEN',
  apiKeyEnv: 'COPILOT_GITHUB_TOKEN',
  seedFiles: {},
  allowlist: COPILOT_HOSTS,
  credentialHosts: [],
  loginHosts: [],
  // Both tokens are placeholders inside; the proxy puts the GitHub token into requests to
  // GitHub's Copilot hosts only, the provider key into requests to COPILOT_PROVIDER_BASE_URL's host only (R161).
  secretHosts: {
    keyEnv: ['COPILOT_GITHUB_TOKEN', 'COPILOT_PROVIDER_API_KEY'],
    keys: [],
    keyHosts: { COPILOT_GITHUB_TOKEN: COPILOT_HOSTS },
    login: COPILOT_HOSTS,
    baseUrlEnv: 'COPILOT_PROVIDER_BASE_URL',
  },
  // `--disable-client-telemetry`: "Disable telemetry sent by the CLI" (no variable or setting
  // exists); `--no-auto-update`: also ignore a newer version already downloaded (R122).
  launchArgs: ['--no-auto-update', '--disable-client-telemetry'],
  // npm 9 installs the glibc and the musl native package (~190 MB each); the base image is
  // glibc (R130), and npm-loader.js takes the musl one only on a musl system.
  installPrune: ['node_modules/@github/copilot-linuxmusl-*'],
  // Its exit hint is `copilot --resume=<uuid>`; a run leaves
  // session-state/.session-operation-locks/<uuid>.lock (the session itself is a directory).
  resume: {
    sessionsDir: 'session-state/.session-operation-locks',
    depth: 0,
    fileName: '^([0-9a-f-]{36})\\.lock$',
    args: ['--resume={id}'],
  },
  // `-p`: non-interactive; `--allow-all`: tools, paths and URLs without asking (the container
  // and its firewall are the sandbox); `--no-ask-user`: nobody answers; `-s`: only the final
  // answer on stdout. One element: a prompt that starts with '-' stays the prompt.
  headless: { args: ['--allow-all', '--no-ask-user', '-s', '{args}', '--prompt={prompt}'], lastMessage: 'stdout' },
  // Its device and browser logins need a keychain or write the token into config.json in the
  // project's home: the launcher keeps a token instead (no container starts).
  login: { default: 'store', 'with-api-key': 'store' },
  permissions:
    'its command sandbox (bubblewrap, off by default) cannot work in a container; tool, path and URL approvals stay ' +
    'yours (exec runs it with --allow-all --no-ask-user: the container is the sandbox)',
};
