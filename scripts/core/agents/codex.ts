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
