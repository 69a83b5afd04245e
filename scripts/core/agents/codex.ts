import type { AgentSpec } from './agent-spec.js';

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

/** Codex's browser login waits for the callback here (codex-rs/login: DEFAULT_PORT). */
const CODEX_CALLBACK_PORT = 1455;

/** OpenAI's Codex CLI. */
export const CODEX: AgentSpec = {
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
  configFlag: 'config.toml',
  configDirs: ['prompts'],
  // R8-R10: CODEX_CONFIG_DIR, the login store (the login only), ~/.codex, ~/.config/codex,
  // WORK/codex, WORK/.codex, then (the login only) an auth.json already in the per-project home.
  hostSearch: [
    { env: 'CODEX_CONFIG_DIR', checked: true },
    { store: true },
    { home: '.codex' },
    { home: '.config/codex' },
    { workdir: 'codex' },
    { workdir: '.codex' },
    { project: true },
  ],
  credentialFile: 'auth.json',
  credentialEnv: 'CODEX_AUTH_FILE',
  // It asks for a login itself when it starts without one.
  missingLogin: 'no auth.json found: log in with `run-in-container login` (or Codex asks you inside the container)',
  keyEnv: ['OPENAI_API_KEY'],
  apiKeyEnv: 'OPENAI_API_KEY',
  seedFiles: {},
  allowlist: CODEX_HOSTS,
  credentialHosts: [],
  loginHosts: ['auth.openai.com'],
  // Its API key and ChatGPT tokens live in auth.json; model-provider hosts are added per run.
  // OPENAI_API_KEY from the host is its provider's `env_key` (R161: a placeholder inside).
  secretHosts: { keyEnv: ['OPENAI_API_KEY'], keys: ['api.openai.com'], login: ['api.openai.com', 'chatgpt.com', 'auth.openai.com'] },
  // Its own switches (codex-rs config, checked against 0.171.0: each key is typed, a wrong
  // value is refused): the container is the sandbox (bwrap cannot create namespaces in it,
  // R33), no update check (api.github.com), no usage metrics (ab.chatgpt.com), no feedback
  // uploads, no startup tips (their announcement comes from raw.githubusercontent.com) (R122).
  launchArgs: [
    '-c',
    'sandbox_mode="danger-full-access"',
    '-c',
    'check_for_update_on_startup=false',
    '-c',
    'analytics.enabled=false',
    '-c',
    'feedback.enabled=false',
    '-c',
    'otel.metrics_exporter="none"',
    '-c',
    'tui.show_tooltips=false',
  ],
  // What it still tries with those off (measured with 0.171.0 in an interactive run): never
  // needed by a run, never suggested for --allow. The plugin marketplace sync stops only with
  // the whole plugins feature (`-c features.plugins=false`), which stays the user's choice.
  backgroundHosts: {
    'raw.githubusercontent.com': "Codex's startup announcement",
    'github.com': "Codex's plugin marketplace sync",
    'api.github.com': "Codex's plugin marketplace sync",
  },
  // `codex resume <id>`; it writes CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl.
  resume: {
    sessionsDir: 'sessions',
    depth: 3,
    fileName: '^rollout-[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}-([0-9a-f-]{36})\\.jsonl$',
    args: ['resume', '{id}'],
  },
  headless: {
    args: ['exec', '--skip-git-repo-check', '--output-last-message', '{lastMessage}', '{args}', '--', '{prompt}'],
    lastMessage: 'file',
  },
  login: {
    default: {
      argv: ['codex', 'login'],
      callbackPort: CODEX_CALLBACK_PORT,
      retry: 'run login again and finish it in the browser, or use --device-auth (a code on the terminal) or --with-api-key',
    },
    'device-auth': {
      argv: ['codex', 'login', '--device-auth'],
      retry:
        'run login --device-auth again and enter the code in time (device codes must be enabled in your ChatGPT ' +
        'security settings), or log in without --device-auth',
    },
    'with-api-key': {
      argv: ['codex', 'login', '--with-api-key'],
      keyOnStdin: true,
      retry: 'check the key and run login --with-api-key again',
    },
  },
  permissions:
    'its own sandbox (bubblewrap) cannot work in a container: the entrypoint runs it with sandbox_mode="danger-full-access"; ' +
    'approval prompts stay as you configure them',
};
