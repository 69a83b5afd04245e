import { BASE_PROBE_SCRIPT, checkBaseFacts, parseBaseProbe } from '../../scripts/core/image/base-image-check.js';
import { UsageError } from '../../scripts/core/errors.js';

/** R189: a base that cannot carry the image contract is refused in one line naming what is missing. */
const BOOKWORM = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';
const probe = (facts: string, release = BOOKWORM) => parseBaseProbe(`${facts}\n---\n${release}`);

describe('parseBaseProbe', () => {
  it('reads apt, glibc, node, npm and os-release (never sourced: parsed)', () => {
    expect(probe('apt=yes\nglibc=glibc 2.36\nnode=v18.20.4\nnpm=yes')).toEqual({
      apt: true,
      glibc: [2, 36],
      nodeMajor: 18,
      npm: true,
      os: { PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)', ID: 'debian', VERSION_ID: '12', VERSION_CODENAME: 'bookworm' },
    });
    expect(probe('glibc=ldd (Debian GLIBC 2.31-13) 2.31').glibc).toEqual([2, 31]);
    expect(probe('glibc=').glibc).toBeUndefined();
  });

  it('the probe only prints facts: no network, it sources nothing', () => {
    expect(BASE_PROBE_SCRIPT).not.toMatch(/(^|[;&|]\s*)\.\s/);
    expect(BASE_PROBE_SCRIPT).toContain('cat /etc/os-release');
  });
});

describe('checkBaseFacts', () => {
  const debianWithNode = probe('apt=yes\nglibc=glibc 2.36\nnode=v22.11.0\nnpm=yes');
  const debianWithoutNode = probe('apt=yes\nglibc=glibc 2.36');

  it('a Debian bookworm base with Node passes for every agent', () => {
    expect(checkBaseFacts('b', debianWithNode, ['codex', 'claude', 'gemini'])).toEqual({ installsNode: false });
  });

  it('a bookworm base with Node 18 passes for gemini too: its install brings a Node of its own (R130)', () => {
    expect(checkBaseFacts('b', probe('apt=yes\nglibc=glibc 2.36\nnode=v18.20.4\nnpm=yes'), ['codex', 'gemini']).installsNode).toBe(false);
  });

  it('a base with Node 16 passes for claude and copilot: an agent newer than the base gets a Node of its own (R130)', () => {
    expect(checkBaseFacts('B', probe('apt=yes\nglibc=glibc 2.36\nnode=v16.20.0\nnpm=yes'), ['codex', 'claude', 'copilot'])).toEqual({
      installsNode: false,
    });
  });

  it("a bookworm base without Node gets Debian's nodejs 18 for codex and claude", () => {
    expect(checkBaseFacts('python:3.12-bookworm', debianWithoutNode, ['codex', 'claude'])).toEqual({
      installsNode: true,
      message: "base image python:3.12-bookworm has no Node.js: the build installs Debian 12 (bookworm)'s nodejs 18 and npm",
    });
  });

  it.each([
    [
      'Alpine (no apt-get)',
      probe('glibc=', 'ID=alpine\nVERSION_ID=3.20.0\nPRETTY_NAME="Alpine Linux v3.20"\n'),
      ['codex'],
      'base image B has no apt-get (Debian-like package manager): the sandbox needs one; use a Debian bookworm based image',
    ],
    [
      'Ubuntu',
      probe('apt=yes\nglibc=glibc 2.39', 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=noble\n'),
      ['codex'],
      "base image B is Ubuntu 24.04.1 LTS: the sandbox's packages (squid-openssl, dnsdist, mitmproxy, ulogd2-json) are supported " +
        'on Debian 12 (bookworm) only',
    ],
    [
      'Debian bullseye',
      probe('apt=yes\nglibc=glibc 2.31', 'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nID=debian\nVERSION_CODENAME=bullseye\n'),
      ['codex'],
      'base image B is Debian GNU/Linux 11 (bullseye)',
    ],
    ['no glibc', probe('apt=yes\nglibc='), ['codex'], 'base image B has no glibc: Node and the agents need glibc >= 2.28'],
    ['an old glibc', probe('apt=yes\nglibc=glibc 2.24'), ['codex'], 'base image B has glibc 2.24: Node and the agents need glibc >= 2.28'],
    ['node without npm', probe('apt=yes\nglibc=glibc 2.36\nnode=v22.1.0'), ['codex'], 'base image B has node but no npm'],
    [
      "no Node, and Debian's is too old for gemini",
      debianWithoutNode,
      ['codex', 'gemini'],
      "base image B has no Node.js and Debian 12 (bookworm)'s nodejs is 18, gemini needs Node >= 20: " +
        'use a base with Node >= 20, or --agents codex',
    ],
  ])('%s → one-line UsageError', (_name, facts, agents, message) => {
    expect(() => checkBaseFacts('B', facts, agents as never)).toThrow(UsageError);
    expect(() => checkBaseFacts('B', facts, agents as never)).toThrow(message);
  });

  it("the base's own words are escaped before they are printed (R100)", () => {
    const hostile = probe('apt=yes\nglibc=glibc 2.36', 'PRETTY_NAME="evil\u001b[2Jname"\nID=evil\n');
    expect(() => checkBaseFacts('B', hostile, ['codex'])).toThrow(/^base image B is evil\\x1b\[2Jname/);
  });
});
