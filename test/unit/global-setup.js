// Runs once before the unit project: the CLI tests run dist/, which must match the sources.
import { checkBuildIsFresh } from '../check-build.js';

export default function globalSetup() {
  checkBuildIsFresh();
}
