import { UsageError } from '../../scripts/core/errors.js';
import { defaultRepoDir, explainInvalidRef, isHostAllowed, validateRepoSpec } from '../../scripts/core/run/repo-spec.js';

const ALLOW = ['api.openai.com', 'github.com', '*.example.org', 'git.test'];

describe('validateRepoSpec: accepted', () => {
  it.each([
    [
      'https://github.com/owner/repo.git',
      undefined,
      undefined,
      { url: 'https://github.com/owner/repo.git', host: 'github.com', dir: 'repo' },
    ],
    [
      'https://github.com/owner/repo',
      'main',
      undefined,
      { url: 'https://github.com/owner/repo', host: 'github.com', ref: 'main', dir: 'repo' },
    ],
    ['http://git.test/project.git', 'v1.2.0', 'src', { url: 'http://git.test/project.git', host: 'git.test', ref: 'v1.2.0', dir: 'src' }],
    [
      'https://code.example.org:443/a/b/c.git/',
      undefined,
      undefined,
      { url: 'https://code.example.org/a/b/c.git/', host: 'code.example.org', dir: 'c' },
    ],
    [
      'HTTPS://GitHub.com/o/r.git',
      'feature/x-1',
      undefined,
      { url: 'https://github.com/o/r.git', host: 'github.com', ref: 'feature/x-1', dir: 'r' },
    ],
    [
      'https://github.com/o/r.git',
      '0123456789abcdef0123456789abcdef01234567',
      'r2',
      { url: 'https://github.com/o/r.git', host: 'github.com', ref: '0123456789abcdef0123456789abcdef01234567', dir: 'r2' },
    ],
  ])('%s ref=%s dir=%s', (url, ref, dir, expected) => {
    expect(validateRepoSpec({ url, ref, dir }, ALLOW)).toEqual(expected);
  });
});

describe('validateRepoSpec: refused with a one-line message saying what to do', () => {
  it.each([
    ['git@github.com:owner/repo.git', {}, 'ssh and git:// URLs cannot pass the sandbox firewall (only ports 80/443): use the https:// URL'],
    ['ssh://git@github.com/owner/repo.git', {}, 'ssh and git:// URLs cannot pass'],
    ['git://github.com/owner/repo.git', {}, 'ssh and git:// URLs cannot pass'],
    ['file:///etc/passwd', {}, 'file: URLs are not supported: use an https:// (or http://) URL'],
    ['ext::sh -c touch% /tmp/pwned', {}, 'not a clone URL'],
    ['--upload-pack=touch /tmp/x', {}, 'not a clone URL'],
    ['https://user:token@github.com/o/r.git', {}, 'credentials in the URL would be stored'],
    ['https://github.com:8443/o/r.git', {}, 'port 8443 is blocked by the sandbox firewall (only 80 and 443)'],
    ['https://10.0.0.1/o/r.git', {}, 'is not a host name the firewall can allow (IP addresses are not allowed'],
    [
      'https://gitlab.com/o/r.git',
      {},
      '--repo host gitlab.com is not allowed through the firewall: allow it with OPENAI_ALLOWED_DOMAINS=gitlab.com',
    ],
    ['https://example.org/o/r.git', {}, 'allow it with OPENAI_ALLOWED_DOMAINS=example.org'],
    ['https://github.com/', {}, 'no directory name can be derived from it: give one with --repo-dir NAME'],
    ['https://github.com/o/r.git', { ref: '--upload-pack=x' }, '--ref "--upload-pack=x" is not a git ref (it starts with \'-\')'],
    ['https://github.com/o/r.git', { ref: 'a..b' }, "it contains '..'"],
    ['https://github.com/o/r.git', { ref: 'a b' }, 'it contains a space'],
    ['https://github.com/o/r.git', { ref: 'x.lock' }, ".lock'"],
    ['https://github.com/o/r.git', { ref: 'a/.hidden' }, "starts with '.'"],
    ['https://github.com/o/r.git', { ref: 'main@{1}' }, "'@{'"],
    ['https://github.com/o/r.git', { dir: '../escape' }, '--repo-dir "../escape" is not a safe directory name'],
    ['https://github.com/o/r.git', { dir: 'a/b' }, 'is not a safe directory name'],
    ['https://github.com/o/r.git', { dir: '.git' }, 'is not a safe directory name'],
    ['https://github.com/o/r.git', { dir: '-x' }, 'is not a safe directory name'],
  ])('%s %j', (url, extra, message) => {
    let thrown: unknown;
    try {
      validateRepoSpec({ url, ...extra }, ALLOW);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as Error).message).toContain(message);
    expect((thrown as Error).message).not.toContain('\n');
  });

  it('a denied host is refused even when a wildcard allows it', () => {
    expect(() => validateRepoSpec({ url: 'https://gist.example.org/o/r.git' }, ALLOW, ['gist.example.org'])).toThrow(
      '--repo host gist.example.org is denied',
    );
  });
});

describe('isHostAllowed', () => {
  it.each([
    ['github.com', true],
    ['api.github.com', false],
    ['a.example.org', true],
    ['a.b.example.org', true],
    ['example.org', false],
    ['badexample.org', false],
  ])('%s -> %s', (host, expected) => {
    expect(isHostAllowed(host, ALLOW)).toBe(expected);
  });
});

describe('explainInvalidRef and defaultRepoDir', () => {
  it.each(['main', 'v1.0', 'release/2024-01', 'HEAD', 'abc123'])('%s is a ref', (ref) => {
    expect(explainInvalidRef(ref)).toBeUndefined();
  });
  it.each(['', '-x', 'a..b', 'a//b', '/a', 'a/', 'a.', '@', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[', 'a\\b', 'a\u0001'])(
    '%j is not',
    (ref) => {
      expect(explainInvalidRef(ref)).toEqual(expect.any(String));
    },
  );
  it.each([
    ['/owner/repo.git', 'repo'],
    ['/owner/repo', 'repo'],
    ['/owner/repo/', 'repo'],
    ['/', undefined],
    ['/owner/.git', undefined],
    ['/owner/%2e%2e', undefined],
  ])('%s -> %s', (pathname, expected) => {
    expect(defaultRepoDir(pathname)).toBe(expected);
  });
});
