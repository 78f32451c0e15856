// The package as a docs site gets it: `npm pack` in www/, the tarball installed into an empty
// folder, and a page that uses only what came from the install (an import map into
// node_modules/editseg): two <edit-seg> widgets reach masks that match the truth, the events
// fire, changing the `instruction` attribute runs the widget again, and a widget whose `editor`
// property the page sets from script asks that editor (the stand-in of editor-server.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, after } from 'node:test';
import { setup, open, shot, iouInPage, SLOW, WWW } from './browser.js';
import { editorServer, KEY } from './editor-server.js';

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <link rel="icon" href="data:,">
  <script type="importmap">{"imports": {
    "editseg/element": "./node_modules/editseg/edit-seg.js",
    "editseg/runtime": "./node_modules/editseg/runtime.js"
  }}</script>
  <script type="module">
    window.heard = [];
    for (const type of ['editseg-ready', 'editseg-result', 'editseg-error']) {
      document.addEventListener(type, (e) => window.heard.push({ type, id: e.target.id, detail: type === 'editseg-result' ? [...e.detail.maskBytes] : e.detail }));
    }
    await import('editseg/element');
  </script>
</head>
<body>
  <edit-seg id="prompt" mode="prompt" scene="4"></edit-seg>
  <edit-seg id="edit" mode="edit" original="sample/original.png" edited="sample/edited.jpg" color="red"></edit-seg>
  <edit-seg id="editor" mode="prompt" image="sample/original.png" instruction="paint the painted region of the sample red"></edit-seg>
</body>
</html>`;

/** An empty docs site with the packed package installed and the page above. */
async function site() {
  const dir = await mkdtemp(join(tmpdir(), 'editseg-npm-'));
  execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: WWW, stdio: 'pipe' });
  const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'));
  const root = join(dir, 'site');
  await mkdir(root);
  await writeFile(join(root, 'package.json'), '{"name": "docs-site", "private": true}');
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', join(dir, tarball)], { cwd: root, stdio: 'pipe' });
  await cp(join(WWW, 'sample'), join(root, 'sample'), { recursive: true });
  await writeFile(join(root, 'index.html'), PAGE);
  return root;
}

const env = setup({}, site);
let stub;
before(async () => (stub = await editorServer()));
after(() => stub?.close());

const results = (page, id) => page.evaluate((id) => window.heard.filter((h) => h.type === 'editseg-result' && h.id === id).length, id);

test('two widgets from the installed package reach masks that match the truth, fire their events and rerun on a new instruction', { timeout: SLOW }, async () => {
  const page = await open(env.browser, env.server.url);
  await page.waitForFunction(() => window.heard?.filter((h) => h.type === 'editseg-ready').length === 3, null, { timeout: SLOW });
  await page.locator('#prompt').getByRole('button', { name: 'Segment', exact: true }).click();
  await page.getByRole('button', { name: 'Get mask' }).click();
  await page.waitForFunction(() => window.heard.filter((h) => h.type === 'editseg-result').length === 2, null, { timeout: SLOW });
  await shot(page, 'npm-widgets');
  const scene = await page.evaluate(async () => {
    const { scene } = await import('editseg/runtime');
    const s = await scene(4, 256);
    return s.suggestions.map((x) => ({ instruction: x.instruction, mask: [...x.mask] }));
  });
  const maskOf = (id, k = 0) => page.evaluate(([id, k]) => window.heard.filter((h) => h.type === 'editseg-result' && h.id === id)[k].detail, [id, k]);
  const iou = (a, b) => {
    let inter = 0, union = 0;
    for (let i = 0; i < a.length; i++) {
      inter += a[i] > 127 && b[i] > 127;
      union += a[i] > 127 || b[i] > 127;
    }
    return inter / union;
  };
  const prompt = iou(await maskOf('prompt'), scene[0].mask);
  assert.ok(prompt > 0.5, `the prompt widget's mask: IoU ${prompt.toFixed(3)}`);
  const edit = await page.evaluate(() => [...document.getElementById('edit').result.maskPng]);
  const editIou = await iouInPage(page, Buffer.from(edit), 'sample/truth.png');
  assert.ok(editIou >= 0.9, `the edit widget's mask: IoU ${editIou.toFixed(3)}`);

  // A new instruction by attribute: the widget runs again on its own.
  assert.ok(scene.length > 1, 'scene 4 names more than one object');
  await page.evaluate((instruction) => document.getElementById('prompt').setAttribute('instruction', instruction), scene[1].instruction);
  await page.waitForFunction(() => window.heard.filter((h) => h.type === 'editseg-result' && h.id === 'prompt').length === 2, null, { timeout: SLOW });
  const again = iou(await maskOf('prompt', 1), scene[1].mask);
  assert.ok(again > 0.5, `after the attribute changed, the mask of "${scene[1].instruction}": IoU ${again.toFixed(3)}`);
  assert.equal(await results(page, 'edit'), 1, 'the other widget did not run again');

  // The editor set from script, never an attribute.
  await page.evaluate(([url, key]) => {
    document.getElementById('editor').editor = { adapter: 'gemini', endpoint: `${url}/v1beta`, model: 'stand-in-model', key };
  }, [stub.url, KEY]);
  await page.locator('#editor').getByRole('button', { name: 'Segment', exact: true }).click();
  await page.waitForFunction(() => window.heard.some((h) => h.type === 'editseg-result' && h.id === 'editor'), null, { timeout: SLOW });
  const viaEditor = await page.evaluate(() => [...document.getElementById('editor').result.maskPng]);
  const editorIou = await iouInPage(page, Buffer.from(viaEditor), 'sample/truth.png');
  assert.ok(editorIou >= 0.85, `the widget with an editor: IoU ${editorIou.toFixed(3)}`);
  assert.ok(!(await page.content()).includes(KEY), 'the key is in the markup');
  assert.deepEqual(await page.evaluate(() => window.heard.filter((h) => h.type === 'editseg-error')), []);
  assert.deepEqual(page.errors, []);
});
