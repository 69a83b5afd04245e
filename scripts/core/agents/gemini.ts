import type { AgentSpec } from './agent-spec.js';

/** Google's Gemini CLI. */
export const GEMINI: AgentSpec = {
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
  configDirs: [],
  hostSearch: [{ env: 'GEMINI_CLI_HOME', suffix: '.gemini' }, { store: true }, { home: '.gemini' }],
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
  // One element: a prompt that starts with '-' is still the prompt's value, not a flag.
  headless: { args: ['--yolo', '--skip-trust', '{args}', '--prompt={prompt}'], lastMessage: 'stdout' },
  login: {
    // No login command: the interactive CLI signs in when its auth type is the Google login;
    // NO_BROWSER selects the flow that reads a pasted code (no callback server).
    default: {
      argv: ['gemini'],
      env: [['NO_BROWSER', 'true']],
      needsTerminal: true,
      stopWhenStored: true,
      settings: '{"security":{"auth":{"selectedType":"oauth-personal"}}}\n',
      retry: 'run login --agent gemini again and paste the code the browser shows, or use --with-api-key',
    },
    'with-api-key': 'store',
  },
  permissions:
    'SANDBOX=codex-sandbox keeps it from starting its own (docker) sandbox; folder trust and approval mode stay yours ' +
    '(exec runs it with --yolo --skip-trust: the container is the sandbox)',
};
