// Drives the OpenAI-compatible endpoint with the official `openai` npm client: OpenAiNodeClientTest runs it with
// OPENAI_BASE_URL set to the test server's /v1. Every check is an assertion; any failure exits non-zero.
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
const model = 'stories';
const results = {};

// 1. plain
const plain = await client.chat.completions.create({
  model, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 5, temperature: 0,
});
assert.equal(plain.object, 'chat.completion');
assert.equal(plain.model, model);
assert.equal(plain.choices.length, 1);
assert.equal(plain.choices[0].message.role, 'assistant');
assert.ok(plain.choices[0].message.content.length > 0);
assert.equal(plain.choices[0].message.refusal, null);
assert.equal(plain.choices[0].logprobs, null);
assert.ok(['stop', 'length'].includes(plain.choices[0].finish_reason));
assert.equal(plain.usage.total_tokens, plain.usage.prompt_tokens + plain.usage.completion_tokens);
results.plain = plain.choices[0].message.content;

// 2. streamed, with usage
const stream = await client.chat.completions.create({
  model, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 5, temperature: 0,
  stream: true, stream_options: { include_usage: true },
});
let streamed = '';
let usage = null;
let finish = null;
for await (const chunk of stream) {
  if (chunk.usage) usage = chunk.usage;
  for (const choice of chunk.choices) {
    streamed += choice.delta?.content ?? '';
    if (choice.finish_reason) finish = choice.finish_reason;
  }
}
assert.equal(streamed, results.plain, 'greedy: the stream says what the plain answer said');
assert.ok(usage && usage.completion_tokens >= 1 && usage.completion_tokens <= 5);
assert.ok(['stop', 'length'].includes(finish));
results.streamed = streamed;

// 3. a tool call, its result, the answer
const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Current weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 12 } }, required: ['city'],
    additionalProperties: false } } }];
const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
const call = await client.chat.completions.create({ model, messages, tools, tool_choice: 'required', max_tokens: 120 });
assert.equal(call.choices[0].finish_reason, 'tool_calls');
const toolCalls = call.choices[0].message.tool_calls;
assert.ok(toolCalls.length >= 1 && toolCalls.length <= 4);
for (const c of toolCalls) {
  assert.equal(c.type, 'function');
  assert.equal(c.function.name, 'get_weather');
  assert.equal(typeof JSON.parse(c.function.arguments).city, 'string');
  assert.ok(c.id);
}
messages.push(call.choices[0].message);
for (const c of toolCalls) messages.push({ role: 'tool', tool_call_id: c.id, content: 'sunny, 24 degrees' });
const answer = await client.chat.completions.create({ model, messages, tools, tool_choice: 'none', max_tokens: 8 });
assert.ok(['stop', 'length'].includes(answer.choices[0].finish_reason));
assert.equal(typeof answer.choices[0].message.content, 'string');
results.toolCalls = toolCalls.length;

// 4. json_schema, strict
const person = await client.chat.completions.create({
  model, messages: [{ role: 'user', content: 'Invent a person' }], max_tokens: 60,
  response_format: { type: 'json_schema', json_schema: { name: 'person', strict: true, schema: {
    type: 'object', additionalProperties: false, required: ['name', 'age'],
    properties: { name: { type: 'string', maxLength: 10 }, age: { type: 'integer', minimum: 0, maximum: 120 } } } } },
});
assert.equal(person.choices[0].finish_reason, 'stop');
const parsed = JSON.parse(person.choices[0].message.content);
assert.deepEqual(Object.keys(parsed).sort(), ['age', 'name']);
assert.equal(typeof parsed.name, 'string');
assert.ok(parsed.name.length <= 10);
assert.ok(Number.isInteger(parsed.age) && parsed.age >= 0 && parsed.age <= 120);
results.person = parsed;

console.log('RESULTS ' + JSON.stringify(results));
