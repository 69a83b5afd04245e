import { buildSessionContainerName, pickParallelName, validateSessionName } from '../../scripts/core/session/session-identity.js';

describe('session names', () => {
  it.each(['dev', 'a', 'Fix_bug.2', 'x-1', '9lives', 'a'.repeat(40)])('accepts %j', (name) => {
    expect(validateSessionName(name)).toBe(name);
  });

  it.each(['', '-dev', '.dev', '_dev', 'a b', 'a/b', 'a:b', 'dév', 'a'.repeat(41), '$(id)', 'a\nb'])('refuses %j in one line', (name) => {
    expect(() => validateSessionName(name)).toThrow(/^--name .* is not a session name: use 1-40 letters, digits/);
    expect(() => validateSessionName(name)).not.toThrow(/\n.*\n/);
  });

  it('container names are readable and prefixed', () => {
    expect(buildSessionContainerName('dev')).toBe('codex-session-dev');
  });

  it.each([
    ['dev', [], 'dev'],
    ['dev', ['other'], 'dev'],
    ['dev', ['dev'], 'dev-2'],
    ['dev', ['dev', 'dev-2'], 'dev-3'],
    ['dev', ['dev', 'dev-3'], 'dev-2'],
    ['dev', ['dev', 'dev-2', 'dev-3', 'dev-4'], 'dev-5'],
  ])('--parallel %j with %j taken picks %j', (name, taken, expected) => {
    expect(pickParallelName(name, taken)).toBe(expected);
  });

  it('a suffix that makes the name too long is refused', () => {
    expect(() => pickParallelName('a'.repeat(40), ['a'.repeat(40)])).toThrow('is not a session name');
  });
});
