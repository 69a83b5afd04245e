import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { docker, dockerLogs, IMAGE, REPO_ROOT } from './run-launcher.js';
import { TEST_LABEL } from './test-network.js';

/**
 * A config.toml pointing codex at the mock Responses API (test/e2e/mock-model/server.js).
 * `model` must be one codex has no metadata for: it then offers the plain function tools
 * (exec_command) that the mock answers. No API key or auth.json is needed for a custom
 * provider without `env_key`.
 */
export const MOCK_MODEL_CONFIG = `model = "mock-model"
model_provider = "mock"

[model_providers.mock]
name = "mock"
base_url = "http://model.test/v1"
wire_api = "responses"
`;

/** A labelled test network with one service container on it. */
export interface TestService {
  network: string;
  container: string;
  remove(): void;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Creates a labelled network `<prefix>-<random>` and starts the sandbox image there as a
 * service (`runArgs`: alias, mounts, entrypoint and its arguments), then waits until its
 * log shows `readyMarker` (polled, no fixed sleep). Only local traffic.
 */
export function startTestService(prefix: string, runArgs: readonly string[], readyMarker: string): TestService {
  const network = `${prefix}-${randomBytes(3).toString('hex')}`;
  const container = `${network}-svc`;
  const remove = () => {
    for (const args of [
      ['rm', '-f', container],
      ['network', 'rm', network],
    ]) {
      try {
        docker(args);
      } catch {
        // already gone
      }
    }
  };
  docker(['network', 'create', '--label', TEST_LABEL, network]);
  try {
    docker(['run', '-d', '--rm', '--label', TEST_LABEL, '--name', container, '--network', network, ...runArgs]);
    for (let attempt = 0; !dockerLogs(container).includes(readyMarker); attempt += 1) {
      if (attempt >= 100) throw new Error(`test service ${container} did not start:\n${dockerLogs(container)}`);
      sleep(100);
    }
  } catch (error) {
    remove();
    throw error;
  }
  return { network, container, remove };
}

/** The mock model as `model.test` on its own test network. */
export function startMockModel(prefix: string): TestService {
  return startTestService(
    prefix,
    [
      '--network-alias',
      'model.test',
      '--mount',
      `type=bind,source=${path.join(REPO_ROOT, 'test/e2e/mock-model')},target=/mock,readonly`,
      '--entrypoint',
      'node',
      IMAGE,
      '/mock/server.js',
    ],
    'MOCK-LISTENING',
  );
}
