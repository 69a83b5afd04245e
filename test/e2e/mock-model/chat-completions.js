// The OpenAI Chat Completions API (POST …/chat/completions), just enough for one turn of an
// agent CLI that talks to an OpenAI-compatible provider (OpenCode's `@ai-sdk/openai-compatible`,
// GitHub Copilot CLI's BYOK mode): the first request that offers a shell tool gets a call that
// creates agent-made-this.txt in the cwd; the request carrying its result (a `tool` message)
// gets the final text "done: file created"; any other request (titles, summaries) a short
// text. Streams (SSE) when the request asks for it. Same contract as server.js (Codex) and
// test/e2e/mock-agents/server.js (Claude Code, Gemini CLI).
'use strict';

const FILE = 'agent-made-this.txt';
const SCRIPT = `printf '%s\\n' 'made by the agent' > ${FILE} && echo created-${FILE}`;
const FINAL = 'done: file created';
const FAILED = 'mock: the command did not create the file';
const SIDE_ANSWER = 'mock';
const SHELL_TOOLS = ['bash', 'shell', 'run_shell_command', 'exec_command'];

let count = 0;

function toolName(tool) {
  return (tool && tool.function && tool.function.name) || (tool && tool.name) || '';
}

/** The arguments of the shell tool the CLI offered: `command` plus any other required string. */
function shellArguments(tool) {
  const parameters = (tool.function && tool.function.parameters) || {};
  const properties = parameters.properties || {};
  const args = { command: properties.cmd !== undefined && properties.command === undefined ? undefined : SCRIPT };
  if (args.command === undefined) return { cmd: SCRIPT };
  for (const name of Array.isArray(parameters.required) ? parameters.required : []) {
    if (name in args) continue;
    const type = properties[name] && properties[name].type;
    if (type === 'string') args[name] = name === 'description' ? 'Create the file' : 'mock';
    else if (type === 'number' || type === 'integer') args[name] = 30;
    else if (type === 'boolean') args[name] = false;
  }
  return args;
}

function toolResults(messages) {
  const list = Array.isArray(messages) ? messages : [];
  let last = list.length - 1;
  while (last >= 0 && list[last] && list[last].role === 'tool') last -= 1;
  return list.slice(last + 1).map((message) => {
    if (typeof message.content === 'string') return message.content;
    return (Array.isArray(message.content) ? message.content : []).map((part) => (part && part.text) || '').join('\n');
  });
}

/** What to answer: { text } or { call: { name, arguments } }. */
function decide(body, log) {
  const results = toolResults(body.messages);
  if (results.length > 0) {
    log('MOCK-TOOL-RESULT', results);
    return { text: results.some((text) => text.includes(`created-${FILE}`)) ? FINAL : FAILED };
  }
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const shell = tools.find((tool) => SHELL_TOOLS.includes(toolName(tool)));
  if (shell === undefined) {
    if (tools.length > 0) log('MOCK-NO-SHELL-TOOL', tools.map(toolName));
    return { text: SIDE_ANSWER };
  }
  const call = { name: toolName(shell), arguments: shellArguments(shell) };
  log('MOCK-TOOL-CALL', { name: call.name });
  return { call };
}

function message(decision, id) {
  if (decision.text !== undefined) return { role: 'assistant', content: decision.text };
  const call = { id, type: 'function', function: { name: decision.call.name, arguments: JSON.stringify(decision.call.arguments) } };
  return { role: 'assistant', content: null, tool_calls: [call] };
}

/** POST …/chat/completions with a parsed JSON body. */
function answerChat(body, res, log) {
  count += 1;
  const id = `chatcmpl-mock-${count}`;
  const decision = decide(body, log);
  const finish = decision.call === undefined ? 'stop' : 'tool_calls';
  const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
  const model = typeof body.model === 'string' ? body.model : 'mock';
  const reply = message(decision, `call_mock_${count}`);
  if (body.stream !== true) {
    res.writeHead(200, { 'content-type': 'application/json' });
    const choice = { index: 0, message: reply, finish_reason: finish };
    res.end(JSON.stringify({ id, object: 'chat.completion', created: 0, model, choices: [choice], usage }));
    return;
  }
  const calls = reply.tool_calls === undefined ? undefined : reply.tool_calls.map((call, index) => ({ index, ...call }));
  const delta = calls === undefined ? reply : { role: 'assistant', tool_calls: calls };
  const chunk = (choice, extra = {}) => ({ id, object: 'chat.completion.chunk', created: 0, model, choices: [choice], ...extra });
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(`data: ${JSON.stringify(chunk({ index: 0, delta, finish_reason: null }))}\n\n`);
  res.write(`data: ${JSON.stringify(chunk({ index: 0, delta: {}, finish_reason: finish }, { usage }))}\n\n`);
  res.end('data: [DONE]\n\n');
}

module.exports = { answerChat };
