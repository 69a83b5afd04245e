import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** The launcher's egress records under a test HOME (R146): `<state>/codex-sandbox/egress-records/<project>/<run id>.jsonl`. */
export function egressRecordFiles(home: string): string[] {
  const base = path.join(home, '.local', 'state', 'codex-sandbox', 'egress-records');
  if (!existsSync(base)) return [];
  return readdirSync(base).flatMap((project) =>
    readdirSync(path.join(base, project))
      .filter((f) => /^[0-9a-f]{8}\.jsonl$/.test(f))
      .map((f) => path.join(base, project, f)),
  );
}
