import { applyHandback, readHandback } from '../../scripts/core/login/login-handback.js';

/** A login's refreshed tokens go back into the login file they came from, and nowhere else (R164). */
const STORE = '/home/u/.codex/auth.json';
const handback = (entry: Record<string, unknown>, store = STORE) => JSON.stringify({ version: 1, stores: { [store]: entry } });

describe('the handback file', () => {
  it('reads the rotated tokens of that login file, keys normalised', () => {
    const read = readHandback(
      handback({ access_token: 'eyJa.eyJb.new-sig', refresh_token: 'rt_new_12345', refreshed_at: '2026-12-06T10:00:00Z' }),
      STORE,
    );
    expect(read).toEqual({
      tokens: new Map([
        ['accesstoken', 'eyJa.eyJb.new-sig'],
        ['refreshtoken', 'rt_new_12345'],
      ]),
      refreshedAt: '2026-12-06T10:00:00Z',
    });
  });

  it('nothing for another file, a short or non-printable token, or no JSON', () => {
    expect(readHandback(handback({ access_token: 'eyJa.eyJb.new-sig' }, '/etc/passwd'), STORE)).toBeUndefined();
    expect(readHandback(handback({ access_token: 'short' }), STORE)).toBeUndefined();
    expect(readHandback(handback({ access_token: 'new\ntoken-with-newline' }), STORE)).toBeUndefined();
    expect(readHandback('{"stores":{"__proto__":{}}}', '__proto__')).toBeUndefined();
    expect(readHandback('not json', STORE)).toBeUndefined();
  });
});

describe('the login file with its new tokens', () => {
  it("Codex's auth.json: tokens and last_refresh, everything else kept", () => {
    const auth = {
      OPENAI_API_KEY: null,
      tokens: { id_token: 'old-id-token', access_token: 'old-access-token', refresh_token: 'old-refresh', account_id: 'acct_1' },
      last_refresh: '2026-11-01T00:00:00Z',
    };
    const tokens = new Map([
      ['accesstoken', 'new-access-token'],
      ['refreshtoken', 'new-refresh-token'],
    ]);
    const { text, changed } = applyHandback(auth, tokens, '2026-12-06T10:00:00Z');
    expect(changed).toBe(2);
    expect(JSON.parse(text)).toEqual({
      OPENAI_API_KEY: null,
      tokens: { id_token: 'old-id-token', access_token: 'new-access-token', refresh_token: 'new-refresh-token', account_id: 'acct_1' },
      last_refresh: '2026-12-06T10:00:00Z',
    });
  });

  it("Claude's camel-case fields", () => {
    const creds = { claudeAiOauth: { accessToken: 'sk-ant-oat01-old', refreshToken: 'sk-ant-ort01-old', expiresAt: 1 } };
    const { text } = applyHandback(creds, new Map([['refreshtoken', 'sk-ant-ort01-new']]));
    expect(JSON.parse(text)).toEqual({
      claudeAiOauth: { accessToken: 'sk-ant-oat01-old', refreshToken: 'sk-ant-ort01-new', expiresAt: 1 },
    });
  });
});
