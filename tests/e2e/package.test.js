// The npm package (www/, its package.json written by scripts/build-web): its exports and files
// exist, and the README's usage example runs as written, importing the package by its name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setup, SLOW, WWW } from './browser.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

const env = setup();

test('package.json exports the class, the element and the runtime with their types, and its files exist', async () => {
  const pkg = JSON.parse(await readFile(join(WWW, 'package.json'), 'utf8'));
  assert.equal(pkg.name, 'editseg');
  assert.match(pkg.version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(pkg.exports['.'], { types: './pkg/editseg.d.ts', default: './pkg/editseg.js' });
  assert.deepEqual(pkg.exports['./element'], { types: './types/element.d.ts', default: './edit-seg.js' });
  assert.deepEqual(pkg.exports['./runtime'], { types: './types/runtime.d.ts', default: './runtime.js' });
  for (const file of pkg.files) await access(join(WWW, file));
  assert.equal((await import(join(WWW, 'version.js'))).VERSION, pkg.version, 'the weights cache key follows the version');
  const types = await readFile(join(WWW, 'pkg/editseg.d.ts'), 'utf8');
  for (const name of ['maskFromEdit', 'loadPainter', 'segment', 'painterBackend']) {
    assert.ok(types.includes(name), `${name} missing from editseg.d.ts`);
  }
});

test("the README's usage example runs as written", { timeout: SLOW }, async () => {
  const readme = await readFile(README, 'utf8');
  const example = readme.match(/<!-- usage example -->\s*```js\n([\s\S]*?)```/)?.[1];
  assert.ok(example, 'no usage example in the README');
  assert.ok(example.trim().split('\n').length <= 10, 'the usage example is longer than ten lines');
  const page = await env.browser.newPage();
  const logs = [];
  const errors = [];
  page.on('console', (m) => (m.type() === 'error' ? errors : logs).push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  // Any page in sample/, so that the example's relative URLs find the sample pair.
  await page.goto(`${env.server.url}sample/color.txt`);
  // The page stands for an app that installed the package: the bare name resolves to it.
  await page.setContent(`<script type="importmap">{"imports": {"editseg": "${env.server.url}pkg/editseg.js"}}</script>
    <script type="module">${example}; document.title = 'finished';</script>`);
  await page.waitForFunction(() => document.title === 'finished' || document.title === 'failed', null, { timeout: SLOW });
  assert.deepEqual(errors, []);
  assert.ok(logs.some((l) => /^mask: \d+ pixels/.test(l)), `logged: ${logs}`);
});
