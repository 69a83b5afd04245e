import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AGENT_IDS, AGENTS } from '../../core/agents/agents.js';
import { AGENT_FACTS_FILE, renderAgentFacts, renderDockerfile } from '../../core/image/agent-facts.js';

/**
 * The image's build context (R130): a temporary copy of image/ with the agents' facts and
 * layers generated from the registry (core/image/agent-facts.ts) and, with `build --ca-cert`,
 * the extra CAs in build-certs/extra.pem (R86; the Dockerfile trusts them while installing).
 * `remove` deletes the copy.
 */
export async function createBuildContext(imageDir: string, caPem?: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'codex-sandbox-build-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    await cp(imageDir, dir, { recursive: true });
    const specs = AGENT_IDS.map((id) => AGENTS[id]);
    const dockerfile = path.join(dir, 'Dockerfile');
    await writeFile(dockerfile, renderDockerfile(await readFile(dockerfile, 'utf8'), specs), { mode: 0o644 });
    await writeFile(path.join(dir, AGENT_FACTS_FILE), renderAgentFacts(specs), { mode: 0o644 });
    if (caPem !== undefined && caPem !== '') {
      await mkdir(path.join(dir, 'build-certs'), { recursive: true });
      await writeFile(path.join(dir, 'build-certs', 'extra.pem'), caPem, { mode: 0o644 });
    }
  } catch (error) {
    await remove();
    throw error;
  }
  return { dir, remove };
}
