// A large photo in "Bring your own edit": the page stays responsive while it runs (the work is in
// a worker), the downloaded mask has the original's size, and it scores as the native command
// does on the same pair.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setup, openDemo, iouInPage, download, shot, SLOW } from './browser.js';

// The native command, built by `cargo test` before these tests run.
const EDITSEG = process.env.EDITSEG_BIN ?? fileURLToPath(new URL('../../target/debug/editseg', import.meta.url));
const [W, H] = [3000, 2000];

const env = setup();

/** PNG width and height from its header. */
const size = (png) => [png.readUInt32BE(16), png.readUInt32BE(20)];

test(`a ${W}x${H} pair gives a ${W}x${H} mask that scores as the native command's, and the page answers meanwhile`, { timeout: SLOW }, async () => {
  assert.ok(existsSync(EDITSEG), `${EDITSEG} is missing: build the native command first (cargo build)`);
  const page = await openDemo(env.browser, env.server);
  const t0 = Date.now();
  // The sample photo enlarged, and the same with an ellipse painted over it with a soft edge,
  // saved as JPEG as editors do; the truth is the ellipse.
  const files = await page.evaluate(async ([w, h]) => {
    const photo = await createImageBitmap(await (await fetch('sample/original.png')).blob());
    const base64 = async (canvas, type) => {
      const bytes = new Uint8Array(await (await canvas.convertToBlob({ type, quality: 0.92 })).arrayBuffer());
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(text);
    };
    const ellipse = (g) => {
      g.beginPath();
      g.ellipse(w * 0.6, h * 0.45, w * 0.17, h * 0.19, 0.4, 0, 2 * Math.PI);
      g.fill();
    };
    const canvas = new OffscreenCanvas(w, h);
    const g = canvas.getContext('2d');
    g.drawImage(photo, 0, 0, w, h);
    const original = await base64(canvas, 'image/png');
    g.filter = 'blur(1.2px)';
    g.fillStyle = '#7a28d8';
    ellipse(g);
    const edited = await base64(canvas, 'image/jpeg');
    const truth = new OffscreenCanvas(w, h);
    const t = truth.getContext('2d');
    t.fillStyle = '#000';
    t.fillRect(0, 0, w, h);
    t.fillStyle = '#fff';
    ellipse(t);
    return { original, edited, truth: await base64(truth, 'image/png') };
  }, [W, H]);
  console.log(`pair drawn: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const dir = await mkdtemp(join(tmpdir(), 'editseg-large-'));
  const path = (name) => join(dir, name);
  for (const [name, data] of [['original.png', files.original], ['edited.jpg', files.edited], ['truth.png', files.truth]]) {
    await writeFile(path(name), Buffer.from(data, 'base64'));
  }

  await page.getByRole('tab', { name: 'Bring your own edit' }).click();
  await page.getByLabel('Original image').setInputFiles(path('original.png'));
  await page.getByLabel('Edited image').setInputFiles(path('edited.jpg'));
  await page.getByRole('button', { name: 'Get mask' }).click();
  await page.waitForFunction(() => document.body.dataset.state === 'working', null, { timeout: SLOW });
  // A click on the other tab is handled while the pair is still being worked on.
  await page.getByRole('tab', { name: 'Prompt' }).click();
  const during = await page.evaluate(() => [document.body.dataset.state, document.getElementById('tab-prompt').getAttribute('aria-selected')]);
  assert.deepEqual(during, ['working', 'true'], 'the tab switched while the mask was being made');
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: SLOW });
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'done', await page.locator('#status').textContent());
  console.log(`mask made: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await shot(page, 'large-pair');
  const png = await download(page, page.getByRole('link', { name: 'Download mask' }));
  assert.deepEqual(size(png), [W, H], 'the mask has the original\'s size');

  execFileSync(EDITSEG, ['mask', '--original', path('original.png'), '--edited', path('edited.jpg'), '--out', path('native.png'), '--backend', 'cpu'], { stdio: 'pipe' });
  const truth = await readFile(path('truth.png'));
  const inPage = await iouInPage(page, png, truth);
  const native = await iouInPage(page, await readFile(path('native.png')), truth);
  console.log(`${W}x${H} pair: IoU in the page ${inPage.toFixed(4)}, native ${native.toFixed(4)}`);
  assert.ok(inPage > 0.9, `IoU in the page ${inPage.toFixed(3)}`);
  assert.ok(Math.abs(inPage - native) <= 0.01, `in the page ${inPage.toFixed(4)}, native ${native.toFixed(4)}`);
  assert.deepEqual(page.errors, []);
});
