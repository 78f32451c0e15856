// What every end-to-end test needs: www/ served on 127.0.0.1, Debian's Chromium started headless
// (with WebGPU on SwiftShader, or without WebGPU), console errors collected, screenshots saved.
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const WWW = fileURLToPath(new URL('../../www/', import.meta.url));
export const ARTIFACTS = process.env.EDITSEG_ARTIFACTS ?? fileURLToPath(new URL('./artifacts/', import.meta.url));
// SwiftShader compiles the painter's kernels on first use: loading takes a while.
export const SLOW = 240_000;

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.txt': 'text/plain', '.json': 'application/json',
  '.bpk': 'application/octet-stream', '.ts': 'text/plain',
};

export async function serve() {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    // Pages without an icon link make Chromium ask for one; a 404 would log a console error.
    if (path === '/favicon.ico') return res.writeHead(204).end();
    const file = join(WWW, path.endsWith('/') ? `${path}index.html` : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

/** Headless Chromium; `webgpu: false` leaves WebGPU off, so the page takes the CPU path. */
export async function launch({ webgpu = true, extra = [] } = {}) {
  const args = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', ...extra];
  if (webgpu) args.push('--enable-unsafe-webgpu');
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args });
}

/** A new page that records console errors and uncaught exceptions in `page.errors`. */
export async function open(browser, url) {
  const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1200, height: 900 } });
  page.errors = [];
  page.on('console', (m) => m.type() === 'error' && page.errors.push(m.text()));
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(url);
  return page;
}

export async function shot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * The server and browser a test file shares, started before its tests and closed after them:
 * `env.server`, `env.browser`. `options` go to launch().
 */
export function setup(options) {
  const env = {};
  before(async () => {
    env.server = await serve();
    env.browser = await launch(options);
  });
  after(async () => {
    await env.browser?.close();
    env.server?.close();
  });
  return env;
}

/** open() the demo page at `query` and wait until it says Ready. */
export async function openDemo(browser, server, query = '') {
  const page = await open(browser, `${server.url}${query}`);
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Ready', null, { timeout: SLOW });
  return page;
}

/** The first channel of an encoded image (bytes, or a URL the page can fetch), one byte a pixel. */
export async function decode(page, image) {
  return page.evaluate(async (image) => {
    const blob = typeof image === 'string' ? await (await fetch(image)).blob() : new Blob([new Uint8Array(image)]);
    const bitmap = await createImageBitmap(blob);
    const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    return [...ctx.getImageData(0, 0, bitmap.width, bitmap.height).data.filter((_, i) => i % 4 === 0)];
  }, typeof image === 'string' ? image : [...image]);
}

/** IoU of two masks given one byte a pixel (> 127 inside). */
export function iou(a, b) {
  if (a.length !== b.length) throw new Error(`masks of ${a.length} and ${b.length} pixels`);
  let inter = 0, union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] > 127, y = b[i] > 127;
    inter += x && y;
    union += x || y;
  }
  return union ? inter / union : 1;
}

/** The bytes of the file a click on `link` downloads. */
export async function download(page, link) {
  const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const chunks = [];
  for await (const c of await file.createReadStream()) chunks.push(c);
  return Buffer.concat(chunks);
}
