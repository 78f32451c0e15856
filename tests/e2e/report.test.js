// The evaluation report as a user opens it: our own painter as the editor on a small exported
// RefScenes set (`editseg data export`, `editseg segment` per sentence, `editseg eval --edits
// --report --json`), the HTML opened from disk in headless Chromium: every picture and plot
// loads, nothing goes wrong in the console, and its numbers are those of the JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setup, shot, SLOW } from './browser.js';

const EDITSEG = process.env.EDITSEG_BIN ?? fileURLToPath(new URL('../../target/debug/editseg', import.meta.url));
const SAMPLES = 6;

const env = setup();

test('the report of our painter on exported RefScenes loads every picture and plot and shows the JSON\'s numbers', { timeout: SLOW }, async () => {
  assert.ok(existsSync(EDITSEG), `${EDITSEG} is missing: build the native command first (cargo build)`);
  const dir = await mkdtemp(join(tmpdir(), 'editseg-report-'));
  const run = (...args) => execFileSync(EDITSEG, args, { stdio: 'pipe' }).toString();
  run('data', 'export', '--split', 'val', '--count', String(SAMPLES), '--out', join(dir, 'data'));
  // The sentences, from the refs pickle, with Python's own reader.
  const refs = JSON.parse(execFileSync('python3', ['-c',
    'import json, pickle, sys; print(json.dumps([[r["image_id"], s["sent_id"], s["sent"]] for r in pickle.load(open(sys.argv[1], "rb")) for s in r["sentences"]]))',
    join(dir, 'data', 'refs(unc).p')]).toString());
  const images = JSON.parse(await readFile(join(dir, 'data', 'instances.json'), 'utf8')).images;
  await mkdir(join(dir, 'edits'));
  for (const [imageId, sentId, sentence] of refs) {
    const file = images.find((i) => i.id === imageId).file_name;
    run('segment', '--image', join(dir, 'data', 'images', file), '--instruction', `paint ${sentence} purple`,
      '--out', join(dir, `mask-${sentId}.png`), '--edit-out', join(dir, 'edits', `${sentId}.png`));
  }
  const [html, json] = [join(dir, 'report.html'), join(dir, 'report.json')];
  run('eval', '--data', join(dir, 'data'), '--pred', join(dir, 'edits'), '--edits', '--color', 'purple',
    '--json', json, '--report', html, '--gallery', '3');
  const report = JSON.parse(await readFile(json, 'utf8'));

  const page = await env.browser.newPage({ viewport: { width: 1300, height: 900 } });
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => !r.url().startsWith('file:') && !r.url().startsWith('data:') && errors.push(`fetched ${r.url()}`));
  await page.goto(`file://${html}`);
  await page.waitForLoadState('load');
  const pictures = await page.evaluate(() => [...document.images].map((i) => i.complete && i.naturalWidth > 0));
  assert.equal(pictures.length, 2 * 3 * 4, 'two galleries of three cards of four pictures');
  assert.ok(pictures.every(Boolean), 'a picture does not load');
  assert.equal(await page.locator('svg').count(), 2, 'the precision plot and the IoU histogram');
  // The official row (a row over seen pixels only follows it when an edit was cropped).
  const official = page.locator('#scores tr').filter({ has: page.locator('td:first-child', { hasText: /^overall$/ }) });
  const overall = await official.locator('td').allTextContents();
  assert.deepEqual(overall.slice(1, 5), [
    String(report.overall.count),
    (100 * report.overall.ciou).toFixed(2),
    (100 * report.overall.giou).toFixed(2),
    (100 * report.overall.miou).toFixed(2),
  ]);
  assert.deepEqual(overall.slice(5), Object.values(report.overall.prec).map((p) => (100 * p).toFixed(2)));
  await shot(page, 'eval-report');
  assert.deepEqual(errors, []);
});

test('the painter\'s report loads every picture, plot and the learning curve and shows the JSON\'s numbers', { timeout: SLOW }, async () => {
  assert.ok(existsSync(EDITSEG), `${EDITSEG} is missing: build the native command first (cargo build)`);
  const dir = await mkdtemp(join(tmpdir(), 'editseg-painter-report-'));
  const [html, json] = [join(dir, 'painter.html'), join(dir, 'painter.json')];
  execFileSync(EDITSEG, ['eval-painter', '--split', 'val', '--count', '24', '--gallery', '3', '--json', json, '--report', html,
    '--log', fileURLToPath(new URL('../../www/model/training-log.csv', import.meta.url))], { stdio: 'pipe' });
  const report = JSON.parse(await readFile(json, 'utf8'));
  const page = await env.browser.newPage({ viewport: { width: 1300, height: 900 } });
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`file://${html}`);
  await page.waitForLoadState('load');
  const pictures = await page.evaluate(() => [...document.images].map((i) => i.complete && i.naturalWidth > 0));
  assert.equal(pictures.length, 1 + 2 * 3 * 3, 'the learning curve and two galleries of three cards of three pictures');
  assert.ok(pictures.every(Boolean), 'a picture does not load');
  assert.equal(await page.locator('svg').count(), 2);
  const row = await page.locator('#scores tr').nth(1).locator('td').allTextContents();
  assert.deepEqual(row.slice(0, 3), ['val', String(report.summary.count), (100 * report.summary.ciou).toFixed(2)]);
  await shot(page, 'painter-report');
  assert.deepEqual(errors, []);
});
