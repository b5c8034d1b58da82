// The official OpenAI client (npm `openai`, pinned by package-lock.json beside this file)
// against `hearth serve` on the bundled tiny model: models, chat completions and completions,
// streaming and not, with and without a key, a refused field, then SIGTERM and exit 0.
// Run by ctest (tests/server.cmake) as: node openai_client_test.mjs HEARTH_BINARY
// Not here: the raw HTTP checks (tests/tools/serve_cli_test.cpp, with curl).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

let OpenAI;
try {
  ({ default: OpenAI } = await import('openai'));
} catch (e) {
  console.error('FAIL: the npm package "openai" is not installed next to this script; run ' +
                '`npm ci` in tests/server (.ci/setup does): ' + e.message);
  process.exit(1);
}

const binary = process.argv[2];
if (!binary) {
  console.error('usage: node openai_client_test.mjs HEARTH_BINARY');
  process.exit(2);
}

// Starts `hearth serve` on a free port; resolves to {child, baseURL} once it prints its address.
function startServer(extra = []) {
  const child = spawn(binary, ['serve', '--port', '0', '-t', '1', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the server did not print its address in 60 s:\n' + stderr)), 60000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ child, baseURL: m[1] + '/v1', stderr: () => stderr });
      }
    });
    child.on('exit', (code) => reject(new Error(`the server exited (${code}) before it was ready:\n${stderr}`)));
  });
}

function stopServer(server) {
  return new Promise((resolve) => {
    server.child.removeAllListeners('exit');
    server.child.on('exit', (code, signal) => resolve({ code, signal }));
    server.child.kill('SIGTERM');
  });
}

const messages = [{ role: 'user', content: 'Name three rivers.' }];

async function checkEverything(client) {
  const models = await client.models.list();
  assert.equal(models.data.length, 1);
  assert.equal(models.data[0].id, 'tiny-qwen3-moe');
  assert.equal(models.data[0].object, 'model');

  const chat = await client.chat.completions.create({ model: 'tiny-qwen3-moe', messages, max_tokens: 12, temperature: 0 });
  assert.equal(chat.object, 'chat.completion');
  assert.equal(chat.choices[0].message.role, 'assistant');
  assert.equal(typeof chat.choices[0].message.content, 'string');
  assert.ok(['stop', 'length'].includes(chat.choices[0].finish_reason));
  assert.ok(chat.usage.prompt_tokens > 0 && chat.usage.completion_tokens > 0 && chat.usage.completion_tokens <= 12);

  // The same greedy request streamed: the pieces put together are the whole answer.
  const stream = await client.chat.completions.create({
    model: 'tiny-qwen3-moe', messages, max_tokens: 12, temperature: 0, stream: true,
    stream_options: { include_usage: true },
  });
  let content = '', reasoning = '', finish = null, usage = null, chunks = 0;
  for await (const chunk of stream) {
    ++chunks;
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      content += choice.delta.content ?? '';
      reasoning += choice.delta.reasoning_content ?? '';
      if (choice.finish_reason) finish = choice.finish_reason;
    }
  }
  assert.ok(chunks >= 3, `only ${chunks} chunks`);
  assert.equal(content, chat.choices[0].message.content);
  assert.equal(reasoning, chat.choices[0].message.reasoning_content ?? '');
  assert.equal(finish, chat.choices[0].finish_reason);
  assert.equal(usage.completion_tokens, chat.usage.completion_tokens);

  const completion = await client.completions.create({ model: 'tiny-qwen3-moe', prompt: 'Once upon a time', max_tokens: 10, temperature: 0 });
  assert.equal(completion.object, 'text_completion');
  assert.equal(typeof completion.choices[0].text, 'string');
  const cstream = await client.completions.create({ model: 'tiny-qwen3-moe', prompt: 'Once upon a time', max_tokens: 10, temperature: 0, stream: true });
  let text = '';
  for await (const chunk of cstream) text += chunk.choices[0]?.text ?? '';
  assert.equal(text, completion.choices[0].text);

  // A refused field is the client's BadRequestError, naming the field.
  await assert.rejects(
    client.chat.completions.create({ model: 'tiny-qwen3-moe', messages, temperature: 'hot' }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === 'temperature');
}

const dir = mkdtempSync(join(tmpdir(), 'hearth_openai_'));
const keyFile = join(dir, 'key');
writeFileSync(keyFile, 'sk-hearth-test-key\n');

const open = await startServer();
const keyed = await startServer(['--api-key-file', keyFile]);
try {
  await checkEverything(new OpenAI({ baseURL: open.baseURL, apiKey: 'unused', maxRetries: 0 }));
  console.log('ok: no key');
  await checkEverything(new OpenAI({ baseURL: keyed.baseURL, apiKey: 'sk-hearth-test-key', maxRetries: 0 }));
  console.log('ok: with the key');
  await assert.rejects(
    new OpenAI({ baseURL: keyed.baseURL, apiKey: 'sk-wrong', maxRetries: 0 }).models.list(),
    (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
  console.log('ok: a wrong key is refused');
  assert.ok(!keyed.stderr().includes('sk-hearth-test-key'), 'the server logged its key');
} finally {
  for (const server of [open, keyed]) {
    const { code, signal } = await stopServer(server);
    assert.equal(code, 0, `the server ended with ${code ?? signal} after SIGTERM:\n${server.stderr()}`);
  }
}
console.log('PASS');
