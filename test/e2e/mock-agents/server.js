// A stand-in for two model APIs, just enough for one turn of each agent CLI (R126 tests):
//   Anthropic Messages API (Claude Code): POST /v1/messages (SSE when `stream: true`),
//     /v1/messages/count_tokens, GET /v1/models;
//   Gemini API v1beta (Gemini CLI): POST /v1beta/models/<m>:streamGenerateContent|generateContent|
//     countTokens|embedContent, GET /v1beta/models.
// The first request that offers the CLI's shell tool gets a call that creates
// agent-made-this.txt in the cwd; the request carrying its result gets the final text
// "done: file created" (or a failure text when the output lacks the marker). Other requests
// (titles, routing, next-speaker checks) get a short text, or for Gemini a JSON value built
// from the schema they ask for. Same contract as test/e2e/mock-model/server.js (Codex).
// Plain Node, port 80, in a container on a test network. Every request is logged on stdout
// as one line "MOCK-REQUEST {...}"; credentials never, only whether one was sent.
'use strict';
const nodeCrypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');

const FILE = 'agent-made-this.txt';
const SCRIPT = `printf '%s\\n' 'made by the agent' > ${FILE} && echo created-${FILE}`;
const FINAL = 'done: file created';
const FAILED = 'mock: the command did not create the file';
const SIDE_ANSWER = 'mock';
const MAX_BODY = 8 * 1024 * 1024;
let count = 0;

function log(kind, data) {
  process.stdout.write(`${kind} ${JSON.stringify(data)}\n`);
}

function sendJson(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

function finalText(outputs) {
  log('MOCK-TOOL-RESULT', outputs);
  return outputs.some((text) => text.includes(`created-${FILE}`)) ? FINAL : FAILED;
}

// ---- Anthropic Messages API ----

function anthropicResults(messages) {
  const last = Array.isArray(messages) ? messages[messages.length - 1] : undefined;
  if (!last || last.role !== 'user' || !Array.isArray(last.content)) return [];
  return last.content.filter((block) => block && block.type === 'tool_result');
}

function blockText(block) {
  if (typeof block.content === 'string') return block.content;
  return (Array.isArray(block.content) ? block.content : []).map((part) => (part && part.text) || '').join('\n');
}

function anthropicDecision(body) {
  const results = anthropicResults(body.messages);
  if (results.length > 0) return { content: [{ type: 'text', text: finalText(results.map(blockText)) }], stop: 'end_turn' };
  const tools = Array.isArray(body.tools) ? body.tools : [];
  if (!tools.some((tool) => tool && tool.name === 'Bash')) return { content: [{ type: 'text', text: SIDE_ANSWER }], stop: 'end_turn' };
  const call = { type: 'tool_use', id: `toolu_mock_${count}`, name: 'Bash', input: { command: SCRIPT, description: 'Create the file' } };
  log('MOCK-TOOL-CALL', { name: call.name, id: call.id });
  return { content: [call], stop: 'tool_use' };
}

function anthropicEvents(message) {
  const events = [{ type: 'message_start', message: { ...message, content: [], stop_reason: null } }];
  message.content.forEach((block, index) => {
    const start = block.type === 'text' ? { type: 'text', text: '' } : { type: 'tool_use', id: block.id, name: block.name, input: {} };
    const delta =
      block.type === 'text'
        ? { type: 'text_delta', text: block.text }
        : { type: 'input_json_delta', partial_json: JSON.stringify(block.input) };
    events.push({ type: 'content_block_start', index, content_block: start });
    events.push({ type: 'content_block_delta', index, delta });
    events.push({ type: 'content_block_stop', index });
  });
  events.push({ type: 'message_delta', delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: { output_tokens: 1 } });
  events.push({ type: 'message_stop' });
  return events;
}

function answerAnthropic(body, res) {
  count += 1;
  const decision = anthropicDecision(body);
  const message = {
    id: `msg_mock_${count}`,
    type: 'message',
    role: 'assistant',
    model: typeof body.model === 'string' ? body.model : 'mock-model',
    content: decision.content,
    stop_reason: decision.stop,
    stop_sequence: null,
    usage: { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
  if (body.stream !== true) return sendJson(res, 200, message);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const event of anthropicEvents(message)) res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  res.end();
}

// ---- Gemini API ----

/** A JSON value that satisfies the schema a side call asks for (first enum value, minimum numbers). */
function valueFor(schema, depth = 0) {
  if (!schema || typeof schema !== 'object' || depth > 8) return null;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = String(Array.isArray(schema.type) ? schema.type[0] : schema.type || '').toLowerCase();
  if (type === 'object' || schema.properties) {
    return Object.fromEntries(Object.entries(schema.properties || {}).map(([key, sub]) => [key, valueFor(sub, depth + 1)]));
  }
  if (type === 'array') return [];
  if (type === 'boolean') return false;
  if (type === 'number' || type === 'integer') return typeof schema.minimum === 'number' ? schema.minimum : 1;
  return SIDE_ANSWER;
}

function geminiParts(body) {
  const config = body.generationConfig || {};
  const schema = config.responseJsonSchema || config.responseSchema;
  if (schema) return [{ text: JSON.stringify(valueFor(schema)) }];
  const contents = Array.isArray(body.contents) ? body.contents : [];
  const last = contents[contents.length - 1];
  const responses = (last && Array.isArray(last.parts) ? last.parts : []).filter((part) => part && part.functionResponse);
  if (responses.length > 0) return [{ text: finalText(responses.map((part) => JSON.stringify(part.functionResponse.response))) }];
  const tools = (Array.isArray(body.tools) ? body.tools : []).flatMap((tool) => (tool && tool.functionDeclarations) || []);
  if (!tools.some((fn) => fn && fn.name === 'run_shell_command')) return [{ text: SIDE_ANSWER }];
  log('MOCK-TOOL-CALL', { name: 'run_shell_command' });
  return [{ functionCall: { name: 'run_shell_command', args: { command: SCRIPT, description: 'Create the file' } } }];
}

function answerGemini(body, res, streaming) {
  count += 1;
  const reply = {
    candidates: [{ content: { role: 'model', parts: geminiParts(body) }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, totalTokenCount: 2 },
    modelVersion: 'mock-model',
    responseId: `resp_mock_${count}`,
  };
  if (!streaming) return sendJson(res, 200, reply);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.end(`data: ${JSON.stringify(reply)}\r\n\r\n`);
}

// ---- routing ----

function route(req, res, body) {
  const path = (req.url || '').split('?')[0];
  const json = body && typeof body === 'object' ? body : {};
  const gemini = /^\/v1beta\/models\/[^/:]+:([A-Za-z]+)$/.exec(path);
  if (req.method === 'POST' && path === '/v1/messages') return answerAnthropic(json, res);
  if (req.method === 'POST' && path === '/v1/messages/count_tokens') return sendJson(res, 200, { input_tokens: 1 });
  if (req.method === 'GET' && path === '/v1/models') {
    return sendJson(res, 200, { data: [{ type: 'model', id: 'mock-model' }], has_more: false });
  }
  if (req.method === 'POST' && gemini && gemini[1] === 'streamGenerateContent') return answerGemini(json, res, true);
  if (req.method === 'POST' && gemini && gemini[1] === 'generateContent') return answerGemini(json, res, false);
  if (req.method === 'POST' && gemini && gemini[1] === 'countTokens') return sendJson(res, 200, { totalTokens: 1 });
  if (req.method === 'POST' && gemini && gemini[1] === 'embedContent') return sendJson(res, 200, { embedding: { values: [0] } });
  if (req.method === 'GET' && path === '/v1beta/models') return sendJson(res, 200, { models: [{ name: 'models/mock-model' }] });
  log('MOCK-UNKNOWN-PATH', { method: req.method, url: req.url });
  sendJson(res, 404, { error: { code: 404, message: `mock: no route for ${req.method} ${path}` } });
}

function parseBody(raw) {
  try {
    return raw === '' ? null : JSON.parse(raw);
  } catch {
    return raw.slice(0, 2000);
  }
}

function describe(req, body) {
  const h = req.headers;
  return {
    method: req.method,
    url: (req.url || '').replace(/([?&]key=)[^&]*/, '$1<redacted>'),
    host: h.host,
    apiKey: Boolean(h['x-api-key'] || h['x-goog-api-key']),
    bearer: typeof h.authorization === 'string' && h.authorization.startsWith('Bearer '),
    // What arrived, as a hash only: the tests compare it with the real key's (R161).
    credentialHash: hash(h['x-api-key'] || h['x-goog-api-key'] || bearerOf(h.authorization) || keyParam(req.url)),
    body,
  };
}

function hash(value) {
  return typeof value === 'string' ? nodeCrypto.createHash('sha256').update(value).digest('hex').slice(0, 16) : null;
}

function bearerOf(header) {
  return typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
}

function keyParam(url) {
  return new URL(url || '/', 'http://x').searchParams.get('key') || undefined;
}

function handle(req, res) {
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
  });
  req.on('end', () => {
    const body = parseBody(Buffer.concat(chunks).toString('utf8'));
    log('MOCK-REQUEST', describe(req, body));
    route(req, res, body);
  });
}

// HTTPS too when TLS_DIR holds server.key/server.crt (a throwaway CA's, names of every alias).
if (process.env.TLS_DIR) {
  const tls = { key: fs.readFileSync(`${process.env.TLS_DIR}/server.key`), cert: fs.readFileSync(`${process.env.TLS_DIR}/server.crt`) };
  https.createServer(tls, handle).listen(443);
}
http.createServer(handle).listen(80, () => log('MOCK-LISTENING', { port: 80 }));
