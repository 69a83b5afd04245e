import { readFileSync } from 'node:fs';

/** The launcher's version, from the package.json shipped next to dist/. */
export function readPackageVersion(): string {
  for (const relative of ['../../../package.json', '../../package.json']) {
    try {
      const text = readFileSync(new URL(relative, import.meta.url), 'utf8');
      const parsed = JSON.parse(text) as { name?: string; version?: string };
      if (parsed.name === 'codex-sandbox' && parsed.version !== undefined) return parsed.version;
    } catch {
      // try the next layout (sources vs dist/)
    }
  }
  return '0.0.0';
}
