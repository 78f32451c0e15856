// The page and the <edit-seg> element driving an editor of the visitor's own, against a
// stand-in server on another origin that speaks both wire formats (editor-server.js), through
// accessible names only: masks of photos with known truth, a refusal and an unreachable endpoint
// each with their message, and afterwards nothing of the key anywhere the page keeps things.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { setup, openDemo, open, shot, decode, iou, download, SLOW } from './browser.js';
import { editorServer, KEY } from './editor-server.js';

const fixture = (name) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const photo = (name) => fileURLToPath(new URL(`../photos/${name}.png`, import.meta.url));
// Natively these edits give IoU 0.97-0.99 (tests/editors.rs); the page must reach this.
const MIN_IOU = 0.85;

const env = setup();
let stub;
before(async () => (stub = await editorServer()));
after(() => stub?.close());

async function settled(page) {
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: SLOW });
  const state = await page.evaluate(() => document.body.dataset.state);
  await page.evaluate(() => delete document.body.dataset.state);
  return state;
}

/** Everything the page keeps: storage, cookies, the Cache API (names, URLs, bodies), the markup. */
async function kept(page) {
  const stores = await page.evaluate(async () => {
    const cached = [];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) {
        cached.push(name, request.url, JSON.stringify([...request.headers]));
        const body = await (await cache.match(request)).arrayBuffer();
        cached.push(new TextDecoder('latin1').decode(body));
      }
    }
    return [JSON.stringify({ ...localStorage }), JSON.stringify({ ...sessionStorage }), document.cookie, location.href, ...cached].join('\n');
  });
  return `${stores}\n${await page.content()}`;
}

test('the page segments photos with an OpenAI-compatible editor and with Gemini, says why when it cannot, and keeps the key nowhere', { timeout: SLOW }, async () => {
  const logs = [];
  const page = await openDemo(env.browser, env.server, '', (p) => p.on('console', (m) => logs.push(m.text())));
  for (const [label, name, path, refusal] of [
    ['OpenAI-compatible', 'coffee', '/v1', /refused by the editor: Your request was rejected by the safety system/],
    ['Gemini', 'chelsea', '/v1beta', /refused by the editor: .*IMAGE_SAFETY/],
  ]) {
    await page.getByLabel('Editor', { exact: true }).selectOption({ label });
    const endpoint = page.getByLabel('Endpoint', { exact: true });
    await page.waitForFunction(() => document.getElementById('endpoint').value !== '');
    assert.match(await endpoint.inputValue(), label === 'Gemini' ? /generativelanguage\.googleapis\.com\/v1beta/ : /api\.openai\.com\/v1/);
    assert.ok(await page.getByText('go from this browser straight to').isVisible(), 'the page says where the photo goes');
    await endpoint.fill(`${stub.url}${path}`);
    await page.getByLabel('Model', { exact: true }).fill('stand-in-model');
    await page.getByLabel('API key', { exact: true }).fill(KEY);
    await page.getByLabel('Image', { exact: true }).setInputFiles(photo(name));
    await page.getByLabel('Instruction', { exact: true }).fill(`paint the blob on the ${name} purple`);
    await page.getByRole('button', { name: 'Segment', exact: true }).click();
    assert.equal(await settled(page), 'done', await page.locator('#status').textContent());
    await shot(page, `editor-${label === 'Gemini' ? 'gemini' : 'openai'}`);
    const mask = await decode(page, await download(page, page.getByRole('link', { name: 'Download mask' })));
    const truth = await decode(page, await readFile(fixture(`${name}-truth.png`)));
    const v = iou(mask, truth);
    console.log(`${label} on ${name}: IoU ${v.toFixed(3)}`);
    assert.ok(v >= MIN_IOU, `${label}: IoU ${v.toFixed(3)}`);
    const timings = await page.locator('#timings').textContent();
    assert.match(timings, /^Editor \d+ ms \(stand-in-model\).*the edit came back \d+x\d+, registered/, timings);

    // While the editor works the page says so, and Cancel stops the wait.
    await page.getByLabel('Instruction', { exact: true }).fill(`paint the blob on the ${name} slowly purple`);
    await page.getByRole('button', { name: 'Segment', exact: true }).click();
    await page.waitForFunction(() => /^Waiting for the editor… \d+\.\d s$/.test(document.getElementById('status').textContent));
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await settled(page), 'error');
    assert.match(await page.locator('#status').textContent(), /cancelled/);
    assert.ok(await page.getByRole('button', { name: 'Cancel' }).isHidden(), 'Cancel stays after the wait');

    await page.getByLabel('Instruction', { exact: true }).fill(`paint the refused blob on the ${name} purple`);
    await page.getByRole('button', { name: 'Segment', exact: true }).click();
    assert.equal(await settled(page), 'error');
    assert.match(await page.locator('#status').textContent(), refusal);
  }
  // Nothing answers on port 9: the message names both causes and how to allow the page's origin.
  await page.getByLabel('Endpoint', { exact: true }).fill('http://127.0.0.1:9/v1');
  await page.getByRole('button', { name: 'Segment', exact: true }).click();
  assert.equal(await settled(page), 'error');
  const unreachable = await page.locator('#status').textContent();
  assert.match(unreachable, /could not reach http:\/\/127\.0\.0\.1:9: either nothing answers there, or it does not allow requests from this page's origin/);
  assert.match(unreachable, /--allowed-origins/);
  await shot(page, 'editor-unreachable');

  // Remembered only when asked, and forgotten on Forget.
  await page.getByLabel('Remember on this device').check();
  assert.ok((await kept(page)).includes(KEY), 'Remember on this device keeps the key in localStorage');
  await page.getByRole('button', { name: 'Forget' }).click();
  assert.equal(await page.getByLabel('API key', { exact: true }).inputValue(), '');

  for (const r of stub.seen) {
    assert.equal(r.headers.cookie, undefined, 'no cookie goes to the editor');
    assert.equal(r.headers.referer, undefined, 'no referrer goes to the editor');
  }
  const everything = `${await kept(page)}\n${logs.join('\n')}\n${page.errors.join('\n')}`;
  assert.ok(!everything.includes(KEY) && !everything.includes('0123456789-secret'), 'the key was left behind');
});

test('the docs element asks the editor its page set from script', { timeout: SLOW }, async () => {
  const page = await open(env.browser, `${env.server.url}docs-example.html`);
  await page.waitForFunction(() => document.getElementById('editor-widget')?.dataset.state === 'ready', null, { timeout: SLOW });
  const mask = await page.evaluate(async ([url, key]) => {
    const widget = document.getElementById('editor-widget');
    widget.editor = { adapter: 'openai', endpoint: `${url}/v1`, model: 'stand-in-model', key };
    const result = await widget.run();
    return result && [...result.maskBytes];
  }, [stub.url, KEY]);
  assert.ok(mask, await page.locator('#editor-widget').evaluate((w) => w.shadowRoot.querySelector('[role="status"]').textContent));
  const truth = await decode(page, `${env.server.url}sample/truth.png`);
  const v = iou(mask, truth);
  console.log(`the element with an editor on the sample: IoU ${v.toFixed(3)}`);
  assert.ok(v >= MIN_IOU, `IoU ${v.toFixed(3)}`);
  assert.ok(!(await page.content()).includes(KEY), 'the key is in the markup');
  assert.deepEqual(page.errors, []);
});
