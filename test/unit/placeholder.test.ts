import { randomBytes } from 'node:crypto';
import { assignPlaceholders, makePlaceholder, placeholderPrefix } from '../../scripts/core/run/placeholder.js';

/** Shape: same length, same prefix, every `-`, `_`, `.` in place, letters and digits elsewhere. */
function expectShape(value: string, placeholder: string, prefix: string): void {
  expect(placeholder).not.toBe(value);
  expect(placeholder).toHaveLength(value.length);
  expect(placeholder.startsWith(prefix)).toBe(true);
  [...value].forEach((char, index) => {
    if (/[A-Za-z0-9]/.test(char)) expect(placeholder[index]).toMatch(/[A-Za-z0-9]/);
    else expect(placeholder[index]).toBe(char);
  });
}

describe('placeholderPrefix (R162)', () => {
  it.each([
    ['sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', 'sk-proj-'],
    ['sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', 'sk-ant-api03-'],
    ['ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', 'ghp_'],
    ['github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', 'github_pat_'],
    ['AIzaSyA-bcdefghijklmnopqrstuvwxyz0123456', 'AIza'],
    ['plainvalue0123456789abcdef', ''],
    // Segments up to 16 characters: the next one would pass the cap.
    ['aaaa-bbbb-cccc-dddd-eeee', 'aaaa-bbbb-cccc-'],
  ])('%s → %s', (value, prefix) => {
    expect(placeholderPrefix(value)).toBe(prefix);
  });
});

describe('makePlaceholder (R162)', () => {
  it.each([
    ['sk-proj-AbCd_EfGhIjKlMnOpQrStUvWxYz0123456789-xyz', 'sk-proj-'],
    ['sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-AAAA_BBBB', 'sk-ant-api03-'],
    ['AIzaSyA-bcdefghijklmnopqrstuvwxyz0123456', 'AIza'],
    ['ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', 'ghp_'],
    ['github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', 'github_pat_'],
    ['sk-0123456789abcdef', 'sk-'],
  ])('%s keeps its prefix, length and marks', (value, prefix) => {
    for (let round = 0; round < 20; round++) expectShape(value, makePlaceholder(value, randomBytes, 'KEY'), prefix);
  });

  it('a JWT keeps its header and payload; only the signature is random (same length, base64url)', () => {
    const header = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9';
    const payload = 'eyJlbWFpbCI6Im1lQGV4YW1wbGUuY29tIn0';
    const signature = 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c-AbCd';
    const placeholder = makePlaceholder(`${header}.${payload}.${signature}`, randomBytes, 'id_token');
    const [h, p, s] = placeholder.split('.');
    expect([h, p]).toEqual([header, payload]);
    expect(s).toHaveLength(signature.length);
    expect(s).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(s).not.toBe(signature);
  });

  it('refuses values shorter than 8 characters, and values with nothing to replace', () => {
    expect(() => makePlaceholder('short', randomBytes, 'GH_TOKEN')).toThrow(
      'GH_TOKEN is shorter than 8 characters: too short to replace safely; check the value',
    );
    expect(() => makePlaceholder('abc-def_', randomBytes, 'X')).toThrow('X has too few letters and digits to replace safely');
  });

  it('regenerates when the random part happens to equal the value', () => {
    // The first draw reproduces the value exactly ('A' is index 0 of the alphabet), the next does not.
    let calls = 0;
    const random = (size: number) => new Uint8Array(size).fill(calls++ === 0 ? 0 : 1);
    expect(makePlaceholder('AAAAAAAAAA', random, 'X')).toBe('BBBBBBBBBB');
  });
});

describe('assignPlaceholders (R162)', () => {
  it('no two placeholders of a run are equal, and none equals a value', () => {
    const values = ['ghp_aaaaaaaaaaaaaaaaaaaa', 'ghp_aaaaaaaaaaaaaaaaaaaa', 'ghp_bbbbbbbbbbbbbbbbbbbb'];
    // Every draw repeats the one before it: only the retries make them distinct (AAA…, BBB…, CCC…).
    let draws = 0;
    const repeating = (size: number) => new Uint8Array(size).fill(Math.floor(draws++ / 2));
    const placeholders = assignPlaceholders(
      values.map((value) => ({ value, what: value })),
      repeating,
    );
    expect(placeholders).toEqual(['ghp_AAAAAAAAAAAAAAAAAAAA', 'ghp_BBBBBBBBBBBBBBBBBBBB', 'ghp_CCCCCCCCCCCCCCCCCCCC']);
    for (const placeholder of placeholders) expect(values).not.toContain(placeholder);
  });

  it('names the value that cannot get a distinct placeholder', () => {
    const same = (size: number) => new Uint8Array(size).fill(7);
    const values = [
      { value: 'ghp_aaaaaaaaaaaa', what: 'A' },
      { value: 'ghp_bbbbbbbbbbbb', what: 'B' },
    ];
    expect(() => assignPlaceholders(values, same)).toThrow('B: no distinct placeholder found');
  });
});
