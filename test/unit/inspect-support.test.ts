import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * image/inspect_support.py (the TLS inspection's helpers, R160-R164), run with the host's
 * python3: placeholders of the same shape as the launcher's, Basic credentials, host
 * patterns, record fields. mitmproxy itself is not needed for these.
 */
function python(code: string): unknown {
  const out = execFileSync('python3', ['-c', `import json, sys\nsys.path.insert(0, ${JSON.stringify(path.resolve('image'))})\n${code}`], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as unknown;
}

describe('the inspection helpers (python)', () => {
  it("a refreshed token's placeholder: same prefix and length; a JWT keeps header and claims", () => {
    const result = python(`from inspect_support import make_placeholder as p
jwt = "eyJhbGciOiJub25lIn0.eyJleHAiOjF9.c2lnbmF0dXJlLXBhcnQ"
print(json.dumps([p("rt_refreshed_0123456789abcdef"), p(jwt), p("sk-ant-ort01-AbCdEf123456"), p("AIzaSyA1234567890")]))`) as string[];
    const [refresh, jwt, claude, google] = result;
    expect(refresh).toMatch(/^rt_refreshed_[A-Za-z0-9]{16}$/);
    expect(refresh).not.toBe('rt_refreshed_0123456789abcdef');
    expect(jwt?.startsWith('eyJhbGciOiJub25lIn0.eyJleHAiOjF9.')).toBe(true);
    expect(jwt).toHaveLength('eyJhbGciOiJub25lIn0.eyJleHAiOjF9.c2lnbmF0dXJlLXBhcnQ'.length);
    expect(claude).toMatch(/^sk-ant-ort01-[A-Za-z0-9]{12}$/);
    expect(google).toMatch(/^AIza[A-Za-z0-9]{13}$/);
  });

  it('Basic credentials: the placeholder is found and replaced inside the base64', () => {
    const result = python(`import base64
from inspect_support import basic_swap
v = b"Basic " + base64.b64encode(b"x-access-token:ghp_PLACEHOLDER1")
out = basic_swap(v, b"ghp_PLACEHOLDER1", b"ghp_realvalue123")
print(json.dumps([base64.b64decode(out[6:]).decode(), basic_swap(b"Bearer x", b"x", b"y"), basic_swap(b"Basic !!!", b"a", b"b")]))`);
    expect(result).toEqual(['x-access-token:ghp_realvalue123', null, null]);
  });

  it('host patterns as the allowlist; record fields escaped', () => {
    const result = python(`from inspect_support import host_matches, normal_host, escape
print(json.dumps([host_matches("a.b.test", ["*.b.test"]), host_matches("b.test", ["*.b.test"]), host_matches("xb.test", ["*.b.test"]),
  normal_host("API.Test.:443"), escape("a b%\\n\\x1b"), escape("")]))`);
    expect(result).toEqual([true, false, false, 'api.test', 'a%20b%25%0A%1B', '-']);
  });
});
