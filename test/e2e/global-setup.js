// Runs once before the e2e project: the engine must answer (fail, never skip) and the
// sandbox image is built from the current sources (the layer cache keeps repeats fast).
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkBuildIsFresh } from '../check-build.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export default function globalSetup() {
  checkBuildIsFresh();
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 20000 });
  if (info.status !== 0) {
    throw new Error(
      `e2e tests need a Docker engine and none answered (${(info.stderr || info.error || '').toString().trim()}):` +
        ' run eval "$(../shared/docker-up)"',
    );
  }
  // Every agent, the two that change weekly pinned to the versions the e2e tests know (R130).
  const args = [
    path.join(root, 'dist/scripts/cli/main.js'),
    'build',
    '--agents',
    'codex,claude,gemini',
    '--claude-version',
    '2.1.332',
    '--gemini-version',
    '0.61.0',
  ];
  if (process.env.SANDBOX_BASE_IMAGE) args.push('--base-image', process.env.SANDBOX_BASE_IMAGE);
  execFileSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], timeout: 20 * 60 * 1000 });
}
