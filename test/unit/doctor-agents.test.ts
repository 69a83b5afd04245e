import { checkAgent } from '../../scripts/host/agents/doctor-agents.js';
import type { HostContext } from '../../scripts/host/host-context.js';

const ctx = {} as HostContext;
const IMAGE = 'codex-sandbox:latest';

describe('doctor: an agent missing from the image (R127, R132)', () => {
  it.each([
    ['codex and claude, no gemini: none dropped', { codex: '0.171.0', claude: '2.1.3' }, 'gemini', 'codex,claude,gemini'],
    ['claude only, no codex', { claude: '2.1.3' }, 'codex', 'codex,claude'],
    ['codex only', { codex: '0.171.0' }, 'claude', 'codex,claude'],
  ] as const)('%s', async (_name, agents, id, list) => {
    const labels = Object.fromEntries(Object.entries(agents).map(([agent, version]) => [`codex-sandbox.agent.${agent}`, version]));
    const [check] = await checkAgent(ctx, IMAGE, labels, undefined, id);
    expect(check?.ok).toBe(false);
    expect(check?.fix).toBe(`a run with --agent ${id} builds it first, or run \`run-in-container build --agents ${list}\``);
  });
  it('an agent in the image: its version', async () => {
    const checks = await checkAgent(ctx, IMAGE, { 'codex-sandbox.agent.gemini': '0.9.0' }, undefined, 'gemini');
    expect(checks).toEqual([{ check: 'agent gemini', ok: true, detail: `Gemini CLI 0.9.0 in ${IMAGE}`, fix: '', essential: false }]);
  });
});
