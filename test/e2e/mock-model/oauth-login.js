// A stand-in for the sign-in endpoints of Claude Code and Gemini CLI, for their logins with a
// pasted code (what a container can do: no browser, no callback). Their OAuth endpoints are
// fixed, so a test aliases the real names to this server on its docker network and trusts a
// throwaway test CA in the sandbox (`login --ca-cert`):
//   platform.claude.com          POST /v1/oauth/token              → access/refresh token
//   api.anthropic.com            GET  /api/oauth/profile, /api/oauth/claude_cli/roles, /api/hello
//   oauth2.googleapis.com        POST /token, GET /tokeninfo      → access/refresh token
//   www.googleapis.com           GET  /oauth2/v2/userinfo          → e-mail
//   cloudcode-pa.googleapis.com  POST /v1internal:loadCodeAssist    → a user on the free tier
// HTTPS on 443 with TLS_DIR/{server.key,server.crt} (a certificate naming every alias), HTTP
// on PORT (80). Plain Node, no dependencies. Every request is logged as one JSON line
// ("MOCK-REQUEST {...}") with the body's field names only: bodies carry codes and tokens.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');

const PORT = Number(process.env.PORT || 80);
const ACCOUNT = { uuid: '00000000-0000-4000-8000-00000000a001', email_address: 'mock@example.test', email: 'mock@example.test' };
const ORGANIZATION = { uuid: '00000000-0000-4000-8000-00000000b001', name: 'Mock Org' };

function log(kind, data) {
  process.stdout.write(`${kind} ${JSON.stringify(data)}\n`);
}

function sendJson(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

function anthropic(req, path) {
  if (path === '/api/hello' || path === '/v1/oauth/hello') return { message: 'hello' };
  if (req.method === 'POST' && path === '/v1/oauth/token') {
    return {
      token_type: 'Bearer',
      access_token: 'sk-ant-oat01-mock-access',
      refresh_token: 'sk-ant-ort01-mock-refresh',
      expires_in: 28800,
      scope: 'user:inference user:profile user:sessions:claude_code',
      account: ACCOUNT,
      organization: ORGANIZATION,
    };
  }
  if (req.method === 'GET' && path === '/api/oauth/profile') {
    return {
      account: { ...ACCOUNT, display_name: 'Mock User', has_claude_pro: true, has_claude_max: false },
      organization: {
        ...ORGANIZATION,
        organization_type: 'claude_pro',
        billing_type: 'stripe_subscription',
        rate_limit_tier: 'default_claude_ai',
      },
    };
  }
  if (req.method === 'GET' && path === '/api/oauth/claude_cli/roles') {
    return { organization_role: 'admin', workspace_role: null, organization_name: ORGANIZATION.name };
  }
  return undefined;
}

function google(req, path) {
  if (req.method === 'POST' && path === '/token') {
    return {
      access_token: 'ya29.mock-access',
      refresh_token: '1//mock-refresh',
      expires_in: 3599,
      scope: 'https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email openid',
      token_type: 'Bearer',
      id_token: 'mock.id.token',
    };
  }
  if (path === '/tokeninfo') return { aud: 'mock', scope: 'https://www.googleapis.com/auth/cloud-platform', expires_in: 3599 };
  if (req.method === 'GET' && path === '/oauth2/v2/userinfo') return { id: '1', email: 'mock@example.test', verified_email: true };
  if (req.method === 'POST' && path === '/v1internal:loadCodeAssist') {
    return {
      currentTier: { id: 'free-tier', name: 'Mock tier', userDefinedCloudaicompanionProject: false },
      cloudaicompanionProject: 'mock-project',
      allowedTiers: [{ id: 'free-tier', isDefault: true }],
    };
  }
  return undefined;
}

function fieldNames(raw) {
  if (raw === '') return [];
  try {
    return Object.keys(JSON.parse(raw));
  } catch {
    return [...new URLSearchParams(raw).keys()];
  }
}

function handle(req, res) {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8').slice(0, 65536);
    const path = (req.url || '').split('?')[0];
    log('MOCK-REQUEST', { method: req.method, host: req.headers.host, url: path, fields: fieldNames(raw) });
    const answer = anthropic(req, path) ?? google(req, path);
    if (answer !== undefined) return sendJson(res, 200, answer);
    log('MOCK-UNKNOWN-PATH', { method: req.method, host: req.headers.host, url: path });
    sendJson(res, 404, { error: { code: 404, message: `mock: no route for ${req.method} ${path}` } });
  });
}

if (process.env.TLS_DIR) {
  const tls = { key: fs.readFileSync(`${process.env.TLS_DIR}/server.key`), cert: fs.readFileSync(`${process.env.TLS_DIR}/server.crt`) };
  https.createServer(tls, handle).listen(443);
}
http.createServer(handle).listen(PORT, () => log('MOCK-LISTENING', { port: PORT }));
