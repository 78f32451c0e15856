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

/** Serve `root` (default www/) on 127.0.0.1. */
export async function serve(root = WWW) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    // Pages without an icon link make Chromium ask for one; a 404 would log a console error.
    if (path === '/favicon.ico') return res.writeHead(204).end();
    const file = join(root, path.endsWith('/') ? `${path}index.html` : path);
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

/**
 * A new page that records console errors and uncaught exceptions in `page.errors`;
 * `prepare(page)` runs before it loads (to route requests, say).
 */
export async function open(browser, url, prepare) {
  const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1200, height: 900 } });
  page.errors = [];
  page.on('console', (m) => m.type() === 'error' && page.errors.push(m.text()));
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await prepare?.(page);
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
export function setup(options, root = WWW) {
  const env = {};
  before(async () => {
    env.server = await serve(typeof root === 'function' ? await root() : root);
    env.browser = await launch(options);
  });
  after(async () => {
    await env.browser?.close();
    env.server?.close();
  });
  return env;
}

/** open() the demo page at `query` and wait until it says Ready. */
export async function openDemo(browser, server, query = '', prepare) {
  const page = await open(browser, `${server.url}${query}`, prepare);
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Ready', null, { timeout: SLOW });
  return page;
}

/** Click "New scene" on the demo page and resolve to the index of the scene it draws. */
export async function newScene(page) {
  const before = await page.evaluate(() => document.body.dataset.scene);
  await page.getByRole('button', { name: 'New scene' }).click();
  await page.waitForFunction((b) => document.body.dataset.scene !== b, before, { timeout: SLOW });
  return Number(await page.evaluate(() => document.body.dataset.scene));
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

/**
 * IoU of two encoded masks (bytes, or URLs the page can fetch), decoded and compared in the page:
 * for large masks, where shipping every pixel out of the page is slow.
 */
export async function iouInPage(page, a, b) {
  const arg = (x) => (typeof x === 'string' ? { url: x } : { base64: Buffer.from(x).toString('base64') });
  return page.evaluate(async ([a, b]) => {
    const channel = async ({ url, base64 }) => {
      const blob = url ? await (await fetch(url)).blob() : new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))]);
      const bitmap = await createImageBitmap(blob);
      const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
      ctx.drawImage(bitmap, 0, 0);
      return ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    };
    const [x, y] = await Promise.all([channel(a), channel(b)]);
    if (x.length !== y.length) throw new Error(`masks of ${x.length / 4} and ${y.length / 4} pixels`);
    let inter = 0, union = 0;
    for (let i = 0; i < x.length; i += 4) {
      const p = x[i] > 127, q = y[i] > 127;
      inter += p && q;
      union += p || q;
    }
    return union ? inter / union : 1;
  }, [arg(a), arg(b)]);
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
