import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { AGENT_IDS } from '../../scripts/core/agents/agents.js';
import { REPO_ROOT } from './helpers/run-cli.js';

/**
 * No flow names an agent (R120): what differs between agents is data in its registry entry
 * (scripts/core/agents/), which the flows ask. Outside that folder, an agent id must not
 * decide anything: compared (`=== 'codex'`), switched on (`case 'codex'`), a fallback
 * (`?? 'codex'`), a default value, or a key (`{ codex: … }`, `AGENTS.codex`, `AGENTS['codex']`).
 * A value that merely passes through (an argv word, a container's user name) is not a branch.
 */
const SCRIPTS = path.join(REPO_ROOT, 'scripts');
const REGISTRY = path.join(SCRIPTS, 'core', 'agents');

/**
 * Where a literal stays for now, file → why. Keep it short; each entry names what would remove it.
 */
const ALLOWED: Readonly<Record<string, string>> = {};

const IDS: ReadonlySet<string> = new Set(AGENT_IDS);
const COMPARISONS = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
  ts.SyntaxKind.QuestionQuestionToken,
  ts.SyntaxKind.BarBarToken,
]);

function listSources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return full === REGISTRY ? [] : listSources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Why this node names an agent in a branch or as a key, or undefined. */
function describeBranch(node: ts.Node): string | undefined {
  const parent = node.parent;
  if (ts.isStringLiteral(node) && IDS.has(node.text)) {
    if (ts.isBinaryExpression(parent) && COMPARISONS.has(parent.operatorToken.kind)) return `compared with '${node.text}'`;
    if (ts.isCaseClause(parent)) return `case '${node.text}'`;
    if (ts.isPropertyAssignment(parent) && parent.name === node) return `key '${node.text}'`;
    if (ts.isElementAccessExpression(parent) && parent.argumentExpression === node) return `[${node.text}]`;
    if (ts.isParameter(parent) && parent.initializer === node) return `default '${node.text}'`;
  }
  if (ts.isIdentifier(node) && IDS.has(node.text)) {
    if (ts.isPropertyAssignment(parent) && parent.name === node) return `key ${node.text}`;
    if (ts.isPropertyAccessExpression(parent) && parent.name === node) return `.${node.text}`;
  }
  return undefined;
}

function findAgentBranches(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const why = describeBranch(node);
    if (why !== undefined) found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${why}`);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('no agent is named outside its registry entry (R120)', () => {
  it('no flow compares, switches on, falls back to or keys by an agent id', () => {
    const found = listSources(SCRIPTS).flatMap((file) => {
      const relative = path.relative(SCRIPTS, file).split(path.sep).join('/');
      return ALLOWED[relative] === undefined ? findAgentBranches(relative, fs.readFileSync(file, 'utf8')) : [];
    });
    expect(found).toEqual([]);
  });

  it.each([
    ["if (agent === 'codex') return;", 'compared with'],
    ["const id = run.agent?.id ?? 'claude';", 'compared with'],
    ["switch (agent) { case 'gemini': break; }", 'case'],
    ['const homes = { codex: 1 };', 'key codex'],
    ['const x = AGENTS.codex.allowlist;', '.codex'],
    ["const x = AGENTS['claude'];", '[claude]'],
    ["function f(agent: string = 'codex') {}", 'default'],
  ])('catches %s', (text, why) => {
    expect(findAgentBranches('x.ts', text).join('\n')).toContain(why);
  });

  it.each([
    "prepareRun(options, ctx, 'codex', version);",
    "const argv = ['exec', container, 'id', '-u', 'codex'];",
    "const dir = path.join(home, '.codex');",
  ])('lets a value that only passes through be: %s', (text) => {
    expect(findAgentBranches('x.ts', text)).toEqual([]);
  });

  it('every allowed file still has what it is allowed for (else drop the entry)', () => {
    for (const file of Object.keys(ALLOWED)) {
      expect(findAgentBranches(file, fs.readFileSync(path.join(SCRIPTS, file), 'utf8')).length).toBeGreaterThan(0);
    }
  });
});
