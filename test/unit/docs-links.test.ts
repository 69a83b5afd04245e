/**
 * The documentation's links hold: every relative Markdown link in README.md, ARCHITECTURE.md,
 * REQUIREMENTS.md, image/CONTRACT.md and docs/*.md points at a file of this repository, and
 * every #anchor at a heading of that file (GitHub's slugs). External links are never fetched
 * (no network); they must be https://.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The topic docs README.md must link to (docs/ may hold more; README must link those too). */
const TOPIC_DOCS = [
  'agents.md',
  'benchmark.md',
  'egress.md',
  'exec-track-clone.md',
  'how-a-run-works.md',
  'logging-in.md',
  'options.md',
  'security.md',
  'sessions.md',
  'settings-and-trust.md',
  'troubleshooting.md',
];

/** What the checker needs of a repository: a file's text, and what a path is. */
interface Repo {
  read(relPath: string): string;
  kind(relPath: string): 'file' | 'dir' | undefined;
}

interface Link {
  line: number;
  target: string;
}

/** Blanks fenced code blocks (keeping line numbers): no heading or link lives there. */
function stripFences(markdown: string): string {
  let fence: string | undefined;
  const lines = markdown.split('\n').map((line) => {
    const opener = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && opener !== undefined) {
      fence = opener;
      return '';
    }
    if (fence !== undefined) {
      if (line.trim().startsWith(fence[0]!.repeat(fence.length)) && line.trim().replace(/[`~]/g, '') === '') fence = undefined;
      return '';
    }
    return line;
  });
  return lines.join('\n');
}

/** Also blanks inline code spans: a link there is text. */
function stripCode(markdown: string): string {
  return stripFences(markdown).replace(/(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g, (span) => span.replace(/[^\n]/g, ' '));
}

/** Inline links and images `[text](target "title")` (the text may wrap), reference definitions, autolinks. */
function findLinks(markdown: string): Link[] {
  const text = stripCode(markdown);
  const patterns = [
    /\[(?:[^[\]\\]|\\.|\[[^[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g,
    /^ {0,3}\[[^\]\n]+\]:\s*<?([^\s>]+)>?/gm,
    /<((?:https?|ftp|mailto):[^>\s]+)>/g,
  ];
  return patterns
    .flatMap((pattern) => [...text.matchAll(pattern)])
    .map((match) => ({ line: text.slice(0, match.index).split('\n').length, target: match[1] ?? '' }))
    .sort((a, b) => a.line - b.line);
}

/** GitHub's heading id: the text lowercased, punctuation and symbols dropped, spaces to `-`. */
function slugify(heading: string): string {
  const text = heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '');
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a file offers: its headings' slugs (repeats numbered -1, -2, …) and HTML ids. */
function findAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of stripFences(markdown).split('\n')) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const slug = slugify(heading);
      const count = seen.get(slug) ?? 0;
      anchors.add(count === 0 ? slug : `${slug}-${count}`);
      seen.set(slug, count + 1);
    }
    for (const match of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
  }
  return anchors;
}

/** One message per broken link of `file` (a path relative to the repository). */
function checkLinks(file: string, repo: Repo): string[] {
  const problems: string[] = [];
  const anchorsOf = new Map<string, Set<string>>();
  const anchors = (target: string) => anchorsOf.get(target) ?? anchorsOf.set(target, findAnchors(repo.read(target))).get(target)!;
  for (const { line, target } of findLinks(repo.read(file))) {
    const where = `${file}:${line}: ${target}`;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
      if (!target.startsWith('https://')) problems.push(`${where}: external links must be https://`);
      continue;
    }
    const hash = target.indexOf('#');
    const pathPart = hash === -1 ? target : target.slice(0, hash);
    const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    if (pathPart.startsWith('/')) {
      problems.push(`${where}: use a path relative to the file`);
      continue;
    }
    const resolved = pathPart === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), decodeURI(pathPart)));
    if (resolved === '..' || resolved.startsWith('../')) {
      problems.push(`${where}: leads out of the repository`);
      continue;
    }
    const kind = repo.kind(resolved);
    if (kind === undefined) {
      problems.push(`${where}: no such file (${resolved})`);
      continue;
    }
    if (anchor === undefined) continue;
    if (kind !== 'file' || !resolved.endsWith('.md')) problems.push(`${where}: an anchor needs a Markdown file`);
    else if (!anchors(resolved).has(anchor)) problems.push(`${where}: ${resolved} has no heading #${anchor}`);
  }
  return problems;
}

const repoOnDisk: Repo = {
  read: (relPath) => readFileSync(path.join(REPO_ROOT, relPath), 'utf8'),
  kind: (relPath) => {
    try {
      const stat = statSync(path.join(REPO_ROOT, relPath));
      return stat.isDirectory() ? 'dir' : stat.isFile() ? 'file' : undefined;
    } catch {
      return undefined;
    }
  },
};

const docsFiles = readdirSync(path.join(REPO_ROOT, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .sort();
const checkedFiles = ['README.md', 'ARCHITECTURE.md', 'REQUIREMENTS.md', 'image/CONTRACT.md', ...docsFiles.map((name) => `docs/${name}`)];

describe('documentation links', () => {
  test.each(checkedFiles)('%s: every relative link names an existing file and heading, external ones are https', (file) => {
    expect(checkLinks(file, repoOnDisk)).toEqual([]);
  });

  test('README.md links every topic doc in docs/', () => {
    expect(docsFiles).toEqual(expect.arrayContaining(TOPIC_DOCS));
    const linked = new Set(findLinks(repoOnDisk.read('README.md')).map((link) => link.target.split('#')[0]));
    expect(docsFiles.filter((name) => !linked.has(`docs/${name}`))).toEqual([]);
  });
});

describe('the link checker', () => {
  const fakeRepo = (files: Record<string, string>, dirs: string[] = []): Repo => ({
    read: (relPath) => files[relPath] ?? '',
    kind: (relPath) => (relPath in files ? 'file' : dirs.includes(relPath) ? 'dir' : undefined),
  });
  const target = "# Guide\n\n## Clone a repository: `--repo`\n\n## Codex's own sandbox\n\n## Notes\n\n## Notes\n";

  test('slugs follow GitHub: lowercase, punctuation dropped, spaces to -', () => {
    expect(slugify('Clone a repository: `--repo`')).toBe('clone-a-repository---repo');
    expect(slugify("Protect the project's history: `--protect-git`")).toBe('protect-the-projects-history---protect-git');
    expect(slugify('8.3 Name check of 80/443')).toBe('83-name-check-of-80443');
    expect(slugify('Options (default command and `shell`)')).toBe('options-default-command-and-shell');
    expect(slugify('Launcher ↔ image: [the contract](x.md)')).toBe('launcher--image-the-contract');
  });

  test('accepts links to existing files, directories and headings (repeats numbered)', () => {
    const repo = fakeRepo(
      {
        'docs/a.md': [
          '[g](../guide.md#clone-a-repository---repo) [o](../guide.md#codexs-own-sandbox) [n](../guide.md#notes-1)',
          '[d](../image) [s](#top) [w](https://example.org)',
          '# Top',
        ].join('\n'),
        'guide.md': target,
      },
      ['image'],
    );
    expect(checkLinks('docs/a.md', repo)).toEqual([]);
  });

  test('reports a missing file, a missing heading, http://, an absolute path and a way out of the repository', () => {
    const repo = fakeRepo({
      'docs/a.md': [
        '[1](../missing.md)',
        '[2](../guide.md#nope)',
        '[3](../guide.md#notes-2)',
        '[4](http://example.org)',
        '[5](/guide.md)',
        '[6](../../outside.md)',
        '[7](#nowhere)',
        '[8](../script.sh#L1) and [a wrapped',
        'nine](../guide.md#gone)',
      ].join('\n'),
      'guide.md': target,
      'script.sh': '',
    });
    expect(checkLinks('docs/a.md', repo)).toEqual([
      'docs/a.md:1: ../missing.md: no such file (missing.md)',
      'docs/a.md:2: ../guide.md#nope: guide.md has no heading #nope',
      'docs/a.md:3: ../guide.md#notes-2: guide.md has no heading #notes-2',
      'docs/a.md:4: http://example.org: external links must be https://',
      'docs/a.md:5: /guide.md: use a path relative to the file',
      'docs/a.md:6: ../../outside.md: leads out of the repository',
      'docs/a.md:7: #nowhere: docs/a.md has no heading #nowhere',
      'docs/a.md:8: ../script.sh#L1: an anchor needs a Markdown file',
      'docs/a.md:8: ../guide.md#gone: guide.md has no heading #gone',
    ]);
  });

  test('ignores links and headings in code; a missing file is reported with or without an anchor', () => {
    const text = '```\n[x](gone.md)\n# not a heading\n```\nUse `[y](gone.md)`.\n[a](ARCHITECTURE.md) [b](ARCHITECTURE.md#layers)\n';
    expect(checkLinks('README.md', fakeRepo({ 'README.md': text }))).toEqual([
      'README.md:6: ARCHITECTURE.md: no such file (ARCHITECTURE.md)',
      'README.md:6: ARCHITECTURE.md#layers: no such file (ARCHITECTURE.md)',
    ]);
    expect(checkLinks('README.md', fakeRepo({ 'README.md': text, 'ARCHITECTURE.md': '# Architecture\n\n## Layers\n' }))).toEqual([]);
    expect(checkLinks('README.md', fakeRepo({ 'README.md': '[#](#not-a-heading)\n```\n# not a heading\n```\n' }))).toEqual([
      'README.md:1: #not-a-heading: README.md has no heading #not-a-heading',
    ]);
  });
});
