import type { AgentSpec } from './agent-spec.js';

/** The Anthropic hosts its keys and tokens are sent to. */
const ANTHROPIC_SECRET_HOSTS = ['api.anthropic.com', 'platform.claude.com', 'console.anthropic.com'];

/** Anthropic's Claude Code. */
export const CLAUDE: AgentSpec = {
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
  configDirs: [],
  hostSearch: [{ env: 'CLAUDE_CONFIG_DIR' }, { store: true }, { home: '.claude' }],
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
  // npm 9 installs both the glibc and the musl native package (~390 MB each); its postinstall
  // (install.cjs) has hard-linked the right one to bin/claude.exe already (R130).
  installPrune: ['node_modules/@anthropic-ai/claude-code-linux-*'],
  headless: { args: ['-p', '--dangerously-skip-permissions', '{args}', '--', '{prompt}'], lastMessage: 'stdout' },
  login: {
    // Prints a URL, then reads the code the browser shows ("Paste code here").
    default: {
      argv: ['claude', 'auth', 'login'],
      needsTerminal: true,
      retry: 'run login --agent claude again and paste the code the browser shows, or use --with-api-key',
    },
    'with-api-key': 'store',
  },
  permissions:
    'its Bash sandbox is off by default and cannot work in a container (no bubblewrap); its permission mode and ' +
    'workspace-trust prompt stay yours (exec runs it with --dangerously-skip-permissions: the container is the sandbox)',
};
