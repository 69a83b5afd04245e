/** Jest runs the TypeScript tests as ESM (execa is ESM-only). */
const esm = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json' }],
  },
};

export default {
  // e2e tests start containers: room for them, but never hang forever. Jest reads testTimeout
  // only at the top level (a project's own is ignored), so it holds for unit tests too.
  testTimeout: 180000,
  projects: [
    // The CLI tests run dist/: refused when it is older than the sources (test/check-build.js).
    { ...esm, displayName: 'unit', roots: ['<rootDir>/test/unit'], globalSetup: '<rootDir>/test/unit/global-setup.js' },
    {
      ...esm,
      displayName: 'e2e',
      roots: ['<rootDir>/test/e2e'],
      // Builds the sandbox image (layer cache makes repeats fast) and fails, never skips,
      // when no Docker engine answers.
      globalSetup: '<rootDir>/test/e2e/global-setup.js',
    },
  ],
};
