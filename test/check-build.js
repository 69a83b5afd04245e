// Tests that run the CLI run dist/ (R22: the shipped command is the compiled JS). A build older
// than any source would let them pass on yesterday's code: refuse to start instead.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newestIn(dir, suffix) {
  let newest = { file: '', mtimeMs: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    const candidate = entry.isDirectory()
      ? newestIn(file, suffix)
      : entry.name.endsWith(suffix)
        ? { file, mtimeMs: statSync(file).mtimeMs }
        : undefined;
    if (candidate !== undefined && candidate.mtimeMs > newest.mtimeMs) newest = candidate;
  }
  return newest;
}

/** Throws unless dist/ was built after the last change under scripts/. */
export function checkBuildIsFresh() {
  const main = path.join(root, 'dist/scripts/cli/main.js');
  let built;
  try {
    built = statSync(main).mtimeMs;
  } catch {
    throw new Error(`${path.relative(root, main)} is missing: run \`npm run build\` (npm test and npm run test:unit build first)`);
  }
  const source = newestIn(path.join(root, 'scripts'), '.ts');
  if (source.mtimeMs > built) {
    throw new Error(
      `the build is older than ${path.relative(root, source.file)}: run \`npm run build\` (npm test and npm run test:unit build first)`,
    );
  }
}
