// The demo page: choose an original and its edit (or the sample), get the mask.
import init, { EditSeg } from './pkg/editseg.js';

const $ = (id) => document.getElementById(id);
const status = (text, isError = false) => {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
};

// One segmenter per backend choice, created once and reused.
const segmenters = new Map();
async function segmenter(backend) {
  if (!segmenters.has(backend)) segmenters.set(backend, EditSeg.create(backend));
  return segmenters.get(backend);
}

function draw(id, image) {
  const canvas = $(id);
  canvas.width = image.width;
  canvas.height = image.height;
  const ctx = canvas.getContext('2d');
  if (image instanceof ImageData) ctx.putImageData(image, 0, 0);
  else ctx.drawImage(image, 0, 0);
}

let sample = null;

async function run() {
  const originalFile = $('original').files[0];
  const editedFile = $('edited').files[0];
  let original, edited;
  if (originalFile && editedFile) {
    [original, edited] = await Promise.all([createImageBitmap(originalFile), createImageBitmap(editedFile)]);
  } else if (sample) {
    ({ original, edited } = sample);
  } else {
    status('Choose an original and an edited image, or load the sample.', true);
    return;
  }
  draw('view-original', original);
  draw('view-edited', edited);
  const options = { keep: $('keep').value };
  if ($('color').value.trim()) options.color = $('color').value.trim();
  if ($('threshold').value !== '') options.threshold = Number($('threshold').value);
  const seg = await segmenter($('backend').value);
  status(`Working on ${seg.backend}…`);
  const started = performance.now();
  const result = await seg.maskFromEdit(original, edited, options);
  const ms = Math.round(performance.now() - started);
  draw('view-heat', result.heat);
  draw('view-overlay', result.overlay);
  draw('view-mask', result.mask);
  const link = $('download');
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([result.maskPng], { type: 'image/png' }));
  link.hidden = false;
  const s = result.stats;
  const fallback = seg.fallbackReason ? ` (CPU because: ${seg.fallbackReason})` : '';
  status(`Mask: ${s.area} pixels (${(100 * s.areaFraction).toFixed(2)}%) in ${ms} ms on ${s.backend}${fallback}.`);
  $('stats').textContent = JSON.stringify(s, null, 2);
  document.body.dataset.done = 'yes';
}

async function loadSample() {
  const fetchBitmap = async (url) => createImageBitmap(await (await fetch(url)).blob());
  const [original, edited, color] = await Promise.all([
    fetchBitmap('sample/original.png'),
    fetchBitmap('sample/edited.jpg'),
    fetch('sample/color.txt').then((r) => r.text()),
  ]);
  sample = { original, edited };
  $('original').value = '';
  $('edited').value = '';
  $('color').value = color.trim();
  await run();
}

const guard = (fn) => async (event) => {
  event?.preventDefault();
  try {
    await fn();
  } catch (e) {
    status(String(e.message ?? e), true);
    document.body.dataset.done = 'error';
  }
};

$('form').addEventListener('submit', guard(run));
$('sample').addEventListener('click', guard(loadSample));

await init();
status('Ready. Choose two images, or load the sample.');
document.body.dataset.ready = 'yes';
