// A stand-in for the OpenAI Responses API, just enough for one codex agent turn:
//   1st POST /v1/responses → a tool call that creates agent-made-this.txt in the cwd
//   next POST (its input carries the tool's output) → a final assistant message.
// Plain Node, no dependencies; run inside a container on a test network (port 80).
// Every request is logged to stdout as one JSON line ("MOCK-REQUEST {...}") so the test
// can read `docker logs` and see what codex sent.
'use strict';
const nodeCrypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
// OpenAI-compatible Chat Completions (OpenCode, GitHub Copilot CLI's BYOK mode): chat-completions.js.
const { answerChat } = require('./chat-completions.js');

const FILE = 'agent-made-this.txt';
const CONTENT = 'made by the agent';
// MOCK_SCRIPT_PREFIX: commands the "agent" runs first (a test's probes), e.g. curls to lab hosts.
const PREFIX = process.env.MOCK_SCRIPT_PREFIX ? `${process.env.MOCK_SCRIPT_PREFIX}; ` : '';
const SCRIPT = `${PREFIX}printf '%s\\n' '${CONTENT}' > ${FILE} && echo created-${FILE}`;
const FINAL = 'done: file created';
const FAILED = 'mock: the command did not create the file';
const PORT = Number(process.env.PORT || 80);

let responseCount = 0;

function log(kind, data) {
  process.stdout.write(`${kind} ${JSON.stringify(data)}\n`);
}

function sse(res, events) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const event of events) res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  res.end();
}

function completed(id) {
  return {
    type: 'response.completed',
    response: {
      id,
      usage: { input_tokens: 1, input_tokens_details: null, output_tokens: 1, output_tokens_details: null, total_tokens: 2 },
    },
  };
}

/** The tool call for the shell tool codex advertised, in that tool's argument shape. */
function toolCall(tools) {
  const names = (Array.isArray(tools) ? tools : []).map((tool) => tool && (tool.name || (tool.function && tool.function.name)));
  if (names.includes('exec_command')) return { name: 'exec_command', arguments: { cmd: SCRIPT } };
  if (names.includes('shell_command')) return { name: 'shell_command', arguments: { command: SCRIPT } };
  if (names.includes('shell')) return { name: 'shell', arguments: { command: ['bash', '-lc', SCRIPT] } };
  return null;
}

function toolOutputs(input) {
  return (Array.isArray(input) ? input : []).filter((item) => item && item.type === 'function_call_output');
}

function answer(body, res) {
  responseCount += 1;
  const id = `resp_mock_${responseCount}`;
  const created = { type: 'response.created', response: { id } };
  const outputs = toolOutputs(body.input);
  if (outputs.length > 0) {
    log('MOCK-TOOL-OUTPUT', outputs);
    const ok = outputs.some((item) => JSON.stringify(item.output).includes(`created-${FILE}`));
    sse(res, [
      created,
      {
        type: 'response.output_item.done',
        item: {
          type: 'message',
          role: 'assistant',
          id: `msg_mock_${responseCount}`,
          content: [{ type: 'output_text', text: ok ? FINAL : FAILED }],
        },
      },
      completed(id),
    ]);
    return;
  }
  const call = toolCall(body.tools);
  if (call === null) {
    log('MOCK-NO-SHELL-TOOL', (body.tools || []).map((tool) => tool.name || tool.type));
    sse(res, [
      created,
      {
        type: 'response.output_item.done',
        item: {
          type: 'message',
          role: 'assistant',
          id: 'msg_no_tool',
          content: [{ type: 'output_text', text: 'mock: no shell tool offered' }],
        },
      },
      completed(id),
    ]);
    return;
  }
  const callId = `call_mock_${responseCount}`;
  log('MOCK-TOOL-CALL', { ...call, call_id: callId });
  sse(res, [
    created,
    {
      type: 'response.output_item.done',
      item: {
        type: 'function_call',
        id: `fc_mock_${responseCount}`,
        call_id: callId,
        name: call.name,
        arguments: JSON.stringify(call.arguments),
      },
    },
    completed(id),
  ]);
}

function hash(value) {
  return value === undefined ? null : nodeCrypto.createHash('sha256').update(value).digest('hex').slice(0, 16);
}

function bearerOf(header) {
  return typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
}

function redactTokens(body) {
  if (!body || typeof body !== 'object' || typeof body.refresh_token !== 'string') return body;
  return { ...body, refresh_token: '<redacted>' };
}

function base64url(value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Codex's token refresh (auth.openai.com/oauth/token): new tokens, logged as hashes only. */
function refresh(body, res) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { 'https://api.openai.com/auth': { chatgpt_account_id: 'acct_mock', chatgpt_plan_type: 'plus' } };
  const head = base64url({ alg: 'none', typ: 'JWT' });
  const tokens = {
    id_token: `${head}.${base64url({ email: 'mock@example.test', exp: now + 3600, ...claims })}.refreshed-id`,
    access_token: `${head}.${base64url({ exp: now + 3600, ...claims })}.refreshed-${nodeCrypto.randomBytes(8).toString('hex')}`,
    refresh_token: `rt_refreshed_${nodeCrypto.randomBytes(12).toString('hex')}`,
  };
  log('MOCK-REFRESH', {
    received: hash(body.refresh_token),
    issued: { access_token: hash(tokens.access_token), refresh_token: hash(tokens.refresh_token) },
  });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(tokens));
}

function handle(req, res) {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body;
      try {
        body = raw === '' ? null : JSON.parse(raw);
      } catch {
        // A form (an OAuth token request may be one).
        body = raw.includes('=') && !raw.includes('\n') ? Object.fromEntries(new URLSearchParams(raw)) : raw;
      }
      log('MOCK-REQUEST', {
        method: req.method,
        url: req.url,
        host: req.headers.host,
        authorization: req.headers.authorization !== undefined,
        // What arrived, as a hash only: the tests compare it with the real credential's (R161).
        credentialHash: hash(bearerOf(req.headers.authorization)),
        body: redactTokens(body),
      });
      const path = (req.url || '').split('?')[0];
      if (req.method === 'POST' && path === '/oauth/token' && body && typeof body === 'object') return refresh(body, res);
      if (req.method === 'POST' && /\/responses$/.test(path) && body && typeof body === 'object') return answer(body, res);
      if (req.method === 'POST' && /\/chat\/completions$/.test(path) && body && typeof body === 'object') return answerChat(body, res, log);
      if (req.method === 'GET' && /\/models$/.test(path)) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ object: 'list', data: [], models: [] }));
      }
      log('MOCK-UNKNOWN-PATH', { method: req.method, url: req.url });
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `mock: no route for ${req.method} ${req.url}` } }));
    });
}

// HTTPS too when TLS_DIR holds server.key/server.crt (a throwaway CA's, names of every alias).
if (process.env.TLS_DIR) {
  const tls = { key: fs.readFileSync(`${process.env.TLS_DIR}/server.key`), cert: fs.readFileSync(`${process.env.TLS_DIR}/server.crt`) };
  https.createServer(tls, handle).listen(443);
}
http.createServer(handle).listen(PORT, () => log('MOCK-LISTENING', { port: PORT }));
