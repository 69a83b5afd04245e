// A stand-in for the OpenAI sign-in server, just enough for `codex login --device-auth
// --experimental_issuer http://login.test` (codex's hidden issuer flag):
//   POST /api/accounts/deviceauth/usercode → a device code
//   POST /api/accounts/deviceauth/token    → 403 on the first poll (the user is not done
//                                            yet), then the authorization code
//   POST /oauth/token                      → id/access/refresh tokens (unsigned test JWTs)
// Anything else: 404, logged as MOCK-UNKNOWN-PATH (the tests' probes of allowed names).
// Plain Node, no dependencies; run inside a container on a test network (port 80). Every
// request is logged to stdout as one JSON line ("MOCK-REQUEST {...}") with the body's field
// names only: bodies carry codes and tokens.
'use strict';
const http = require('node:http');

const PORT = Number(process.env.PORT || 80);
const USER_CODE = 'MOCK-1234';
let polls = 0;

function log(kind, data) {
  process.stdout.write(`${kind} ${JSON.stringify(data)}\n`);
}

function base64url(value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An unsigned JWT with the claims codex reads (it does not verify signatures). */
function jwt(claims) {
  const now = Math.floor(Date.now() / 1000);
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ iat: now, exp: now + 3600, ...claims })}.mock-signature`;
}

const AUTH_CLAIMS = {
  'https://api.openai.com/auth': { chatgpt_account_id: 'acct_mock', chatgpt_plan_type: 'plus', chatgpt_user_id: 'user_mock' },
};

function sendJson(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

function route(req, res) {
  const path = (req.url || '').split('?')[0];
  if (req.method === 'POST' && path === '/api/accounts/deviceauth/usercode') {
    return sendJson(res, 200, { device_auth_id: 'dev_mock', user_code: USER_CODE, interval: '1' });
  }
  if (req.method === 'POST' && path === '/api/accounts/deviceauth/token') {
    polls += 1;
    if (polls % 2 === 1) return sendJson(res, 403, { error: 'authorization_pending' });
    return sendJson(res, 200, { authorization_code: 'code_mock', code_challenge: 'challenge_mock', code_verifier: 'verifier_mock' });
  }
  if (req.method === 'POST' && path === '/oauth/token') {
    return sendJson(res, 200, {
      id_token: jwt({ email: 'mock@example.test', ...AUTH_CLAIMS }),
      access_token: jwt(AUTH_CLAIMS),
      refresh_token: 'refresh_mock',
    });
  }
  log('MOCK-UNKNOWN-PATH', { method: req.method, url: req.url, host: req.headers.host });
  sendJson(res, 404, { error: `mock: no route for ${req.method} ${path}` });
}

function fieldNames(raw) {
  if (raw === '') return [];
  try {
    return Object.keys(JSON.parse(raw));
  } catch {
    return [...new URLSearchParams(raw).keys()];
  }
}

http
  .createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8').slice(0, 65536);
      log('MOCK-REQUEST', { method: req.method, url: req.url, host: req.headers.host, fields: fieldNames(raw) });
      route(req, res);
    });
  })
  .listen(PORT, () => log('MOCK-LISTENING', { port: PORT }));
