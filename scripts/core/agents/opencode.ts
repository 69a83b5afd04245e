import type { AgentSpec } from './agent-spec.js';

/*
 * Facts checked against opencode-ai 1.18.33 in a throwaway container (`opencode --help`,
 * `opencode run --help`, `opencode debug paths`, the variables its binary reads, its traffic
 * through a logging proxy, a turn against a local OpenAI-compatible mock) and opencode.ai/docs.
 */

/** The providers whose keys a run passes, and their API hosts. */
const PROVIDER_HOSTS = ['api.anthropic.com', 'api.openai.com'];

/** OpenCode (sst/opencode): one CLI for many model providers. */
export const OPENCODE: AgentSpec = {
  id: 'opencode',
  title: 'OpenCode',
  npmPackage: 'opencode-ai',
  versionFlag: '--opencode-version',
  binary: 'opencode',
  // The command is a native build (bin/opencode.exe); Node runs only its postinstall, which
  // links the right build there (installed and started on the base image's Node 18).
  minNodeMajor: 18,
  homeDir: 'agents/opencode',
  // It follows XDG (`opencode debug paths`): configuration in $XDG_CONFIG_HOME/opencode, logins
  // (auth.json), sessions and logs in $XDG_DATA_HOME/opencode, history in $XDG_STATE_HOME/opencode.
  // All three are its home, so they meet in one directory, `opencode/` below it; its download
  // cache ($XDG_CACHE_HOME, ~/.cache/opencode) stays in HOME.
  homeEnv: ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME'],
  // Its own switches (read by its binary): no self-update, no model list from
  // models.opencode.ai, no session sharing (opncd.ai), no language-server downloads (R122).
  fixedEnv: {
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_SHARE: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
  },
  configDir: 'opencode',
  // Its global configuration (JSON or JSONC) and global rules.
  configFiles: ['opencode.json', 'opencode.jsonc', 'AGENTS.md'],
  configDirs: [],
  // Its logins on the host live in ~/.local/share/opencode/auth.json, which may hold OAuth
  // tokens of several providers: never searched, only named (--auth_file) or made by `login`.
  hostSearch: [{ env: 'XDG_CONFIG_HOME', suffix: 'opencode' }, { store: true }, { home: '.config/opencode' }],
  credentialFile: 'auth.json',
  // Provider keys it reads from the environment (opencode.ai/docs/providers).
  keyEnv: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY'],
  apiKeyEnv: 'ANTHROPIC_API_KEY',
  seedFiles: {},
  allowlist: PROVIDER_HOSTS,
  credentialHosts: [],
  // `opencode auth login` lists the providers from models.opencode.ai (even with the switch above).
  loginHosts: ['models.opencode.ai'],
  // Each provider's key goes to that provider only; its login file's tokens (auth.json holds
  // one entry per provider) to both.
  secretHosts: {
    keyEnv: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY'],
    keys: PROVIDER_HOSTS,
    keyHosts: { ANTHROPIC_API_KEY: ['api.anthropic.com'], OPENAI_API_KEY: ['api.openai.com'] },
    login: PROVIDER_HOSTS,
  },
  // npm installs the platform packages (opencode-linux-x64 and -baseline, ~177 MB each); its
  // postinstall has linked the right one to bin/opencode.exe already (R130).
  installPrune: ['node_modules/opencode-*'],
  // `run`: one message, then exit; `--auto`: approve what its permissions do not deny (the
  // container is the sandbox). Its final text is all it prints on stdout (progress on stderr).
  headless: { args: ['run', '--auto', '{args}', '--', '{prompt}'], lastMessage: 'stdout' },
  // Every start installs @opencode-ai/plugin (for local plugins) into each configuration
  // directory from npm's registry, in the background, with no switch; nothing a run needs.
  backgroundHosts: { 'registry.npmjs.org': "OpenCode's install of its plugin package" },
  login: {
    // Asks for a provider, then its key (or that provider's sign-in): writes auth.json.
    default: {
      argv: ['opencode', 'auth', 'login'],
      needsTerminal: true,
      retry: 'run login --agent opencode again, choose a provider and paste its API key',
    },
  },
  permissions:
    'it has no sandbox of its own; its permission settings (`permission` in opencode.json) stay yours ' +
    '(exec runs `opencode run --auto`, which approves what they do not deny: the container is the sandbox)',
};
