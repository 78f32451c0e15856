// A stand-in image editor for the page's tests, on its own origin with CORS allowed as a
// provider's API allows it: the OpenAI-style `POST /v1/images/edits` (multipart) and Gemini's
// `POST /v1beta/models/{model}:generateContent` (JSON), answering a prompt that names a photo
// of fixtures/ ("... on the coffee ...") with that photo's editor-like edit (written by
// tests/editors.rs), one that names the sample with www/sample's edit, one with "refused" with
// each API's refusal, and one with "slowly" after three seconds.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';

export const KEY = 'sk-page-test-0123456789-secret';
const FIXTURES = new URL('./fixtures/', import.meta.url);
const SAMPLE = new URL('../../www/sample/edited.jpg', import.meta.url);
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST',
  'access-control-allow-headers': 'authorization, x-goog-api-key, content-type',
};

/** Start the stand-in on a free port: `{url, seen, close}`; `seen` lists every request. */
export async function editorServer() {
  const seen = [];
  const server = createServer(async (req, res) => {
    if (req.method === 'OPTIONS') return res.writeHead(204, CORS).end();
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const json = (status, value) => res.writeHead(status, { ...CORS, 'content-type': 'application/json' }).end(JSON.stringify(value));
    const gemini = req.url.includes(':generateContent');
    const keyed = gemini ? req.headers['x-goog-api-key'] === KEY : req.headers.authorization === `Bearer ${KEY}`;
    const prompt = gemini
      ? JSON.parse(body.toString()).contents[0].parts[0].text
      : body.toString('latin1').match(/name="prompt"\r\n\r\n([\s\S]*?)\r\n--/)?.[1] ?? '';
    seen.push({ url: req.url, prompt, headers: req.headers });
    // An editor that takes its time: for the page's Waiting and Cancel.
    if (prompt.includes('slowly')) await new Promise((ok) => setTimeout(ok, 3000));
    if (!keyed) return json(401, { error: { message: 'Incorrect API key provided.', code: 'invalid_api_key' } });
    if (prompt.includes('refused')) {
      return gemini
        ? json(200, { candidates: [{ finishReason: 'IMAGE_SAFETY', content: { parts: [] } }] })
        : json(400, { error: { message: 'Your request was rejected by the safety system.', type: 'image_generation_user_error', code: 'moderation_blocked' } });
    }
    const photo = ['chelsea', 'coffee'].find((n) => prompt.includes(`on the ${n}`));
    const file = photo ? new URL(`${photo}-${gemini ? 'gemini' : 'openai'}.jpg`, FIXTURES) : prompt.includes('sample') ? SAMPLE : null;
    if (!file) return json(400, { error: { message: `no picture for "${prompt}"` } });
    const data = (await readFile(file)).toString('base64');
    if (gemini) {
      json(200, { candidates: [{ finishReason: 'STOP', content: { parts: [{ text: 'Here is the edited picture.' }, { inlineData: { mimeType: 'image/jpeg', data } }] } }] });
    } else {
      json(200, { created: 1, data: [{ b64_json: data }], usage: { total_tokens: 4160 } });
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}`, seen, close: () => server.close() };
}
