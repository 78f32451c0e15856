// The demo page. Prompt: a RefScenes scene (or your image) + an instruction -> the painter paints
// -> diff + cleanup -> mask. Bring your own edit: an original + its edit -> diff + cleanup -> mask.
import { start, scene, bitmap } from './runtime.js';
import { draw, say as show, maskArea, message } from './view.js';

const $ = (id) => document.getElementById(id);
// Larger pictures are scaled down before they are processed.
const MAX_SIDE = 2048;

const say = (text, state = 'info') => show($('status'), document.body, text, state);
const notice = (text) => {
  $('notice').textContent = text ?? '';
  $('notice').hidden = !text;
};

/** The progress bar and the status line follow a download. */
const progress = ({ what, done, total }) => {
  $('progress').hidden = done >= total && total > 0;
  $('progress').max = total || done;
  $('progress').value = done;
  say(`Loading the ${what}… ${(done / 1e6).toFixed(1)}${total ? ` of ${(total / 1e6).toFixed(1)}` : ''} MB`);
};

const backend = new URLSearchParams(location.search).get('backend') ?? 'auto';
const ready = start({ backend, onProgress: progress });

// What the result views show, kept so that the sliders can re-run the cheap stages.
let job = null;
const urls = new Map();

function link(id, bytes, type = 'image/png') {
  if (urls.has(id)) URL.revokeObjectURL(urls.get(id));
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  urls.set(id, url);
  $(id).href = url;
  $(id).hidden = false;
  return url;
}

async function fit(image, what) {
  const side = Math.max(image.width, image.height);
  if (side <= MAX_SIDE) return image;
  const scale = MAX_SIDE / side;
  notice(`The ${what} is ${image.width}x${image.height}: scaled down to ${Math.round(image.width * scale)}x${Math.round(image.height * scale)}.`);
  return createImageBitmap(image, {
    resizeWidth: Math.round(image.width * scale),
    resizeHeight: Math.round(image.height * scale),
    resizeQuality: 'high',
  });
}

function tuning() {
  const options = {};
  const t = Number($('threshold').value);
  if (t > 0) options.threshold = t;
  const s = Number($('strength').value);
  options.open = s;
  options.close = s;
  return options;
}

function ms(x) {
  return `${Math.round(x)} ms`;
}

async function run() {
  if (!job) return;
  const seg = await ready;
  say('Working…');
  const started = performance.now();
  const options = tuning();
  let result;
  if (job.kind === 'prompt') {
    if (!$('auto-color').checked) options.color = $('paint').value;
    result = await seg.segment(job.picture, job.instruction, options, { onProgress: progress });
    draw($('view-edited'), result.edit);
    link('download-edit', result.editPng);
    const t = result.timings;
    $('timings').textContent = `Model ${ms(t.painter)}${t.painter === 0 ? ' (reused)' : ''}, diff ${ms(t.diff)}, cleanup and upsampling ${ms(t.upsample)}; painter on ${result.painterBackend === 'webgpu' ? 'WebGPU' : 'the CPU'}, stages on ${result.stats.backend}. Paint ${result.paint} for “${result.expression}”.`;
  } else {
    if (job.color) options.color = job.color;
    result = await seg.maskFromEdit(job.picture, job.edited, options);
    draw($('view-edited'), job.edited);
    link('download-edit', job.editedBytes, job.editedType);
    $('timings').textContent = `Diff and cleanup ${ms(performance.now() - started)} on ${result.stats.backend}.`;
  }
  draw($('view-original'), job.picture);
  draw($('view-heat'), result.heat);
  draw($('view-overlay'), result.overlay);
  $('view-mask').src = link('download-mask', result.maskPng);
  $('view-mask').hidden = false;
  say(`Mask: ${maskArea(result)} in ${ms(performance.now() - started)}.`, 'done');
}

const guard = (fn) => async (event) => {
  event?.preventDefault?.();
  try {
    await fn(event);
  } catch (e) {
    say(message(e), 'error');
  }
};

// --- Prompt mode
let sceneIndex = Number(new URLSearchParams(location.search).get('scene') ?? Math.floor(Math.random() * 1000));

function newScene() {
  const s = scene(sceneIndex, 256);
  document.body.dataset.scene = String(sceneIndex);
  sceneIndex += 1;
  notice('');
  job = { kind: 'prompt', picture: s.image, instruction: s.suggestions[0].instruction };
  $('instruction').value = job.instruction;
  $('suggestions').replaceChildren(...s.suggestions.map(({ instruction }) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = instruction;
    b.addEventListener('click', () => {
      $('instruction').value = instruction;
      $('prompt').requestSubmit();
    });
    return b;
  }));
  draw($('view-original'), s.image);
}

async function ownImage() {
  const file = $('image').files[0];
  if (!file) return;
  notice('');
  const picture = await fit(await bitmap(file, 'Image'), 'image');
  $('suggestions').replaceChildren();
  delete document.body.dataset.scene;
  job = { kind: 'prompt', picture, instruction: $('instruction').value };
  draw($('view-original'), picture);
  say('Image loaded: the painter knows RefScenes words and shapes only, so expect nonsense on photos.');
}

async function segment() {
  if (job?.kind !== 'prompt') throw new Error('Draw a new scene or choose an image first.');
  job.instruction = $('instruction').value;
  await run();
}

// --- Bring your own edit
const files = { original: null, edited: null };

async function takeFile(slot, file) {
  files[slot] = file;
  say(`${slot === 'original' ? 'Original' : 'Edited'} image: ${file.name || 'pasted'}.`);
}

async function getMask() {
  const original = files.original ?? $('original').files[0];
  const edited = files.edited ?? $('edited').files[0];
  if (!original || !edited) throw new Error('Choose an original image and an edited image (or load the sample).');
  notice('');
  const [picture, editedImage] = await Promise.all([
    bitmap(original, 'Original image').then((b) => fit(b, 'original image')),
    bitmap(edited, 'Edited image').then((b) => fit(b, 'edited image')),
  ]);
  job = {
    kind: 'edit',
    picture,
    edited: editedImage,
    editedBytes: new Uint8Array(await edited.arrayBuffer()),
    editedType: edited.type || 'image/png',
    color: $('edit-color').value.trim(),
  };
  await run();
}

async function loadSample() {
  const [original, edited, color] = await Promise.all([
    fetch('sample/original.png').then((r) => r.blob()),
    fetch('sample/edited.jpg').then((r) => r.blob()),
    fetch('sample/color.txt').then((r) => r.text()),
  ]);
  files.original = original;
  files.edited = edited;
  $('edit-color').value = color.trim();
  await getMask();
}

function showTab(which) {
  for (const [tab, panel] of [['tab-prompt', 'prompt'], ['tab-edit', 'edit']]) {
    const on = panel === which;
    $(tab).setAttribute('aria-selected', String(on));
    $(panel).hidden = !on;
  }
}

$('tab-prompt').addEventListener('click', () => showTab('prompt'));
$('tab-edit').addEventListener('click', () => showTab('edit'));
$('new-scene').addEventListener('click', guard(async () => { await ready; newScene(); }));
$('image').addEventListener('change', guard(ownImage));
$('prompt').addEventListener('submit', guard(segment));
$('auto-color').addEventListener('change', () => ($('paint').disabled = $('auto-color').checked));
$('original').addEventListener('change', () => (files.original = null));
$('edited').addEventListener('change', () => (files.edited = null));
$('edit').addEventListener('submit', guard(getMask));
$('sample').addEventListener('click', guard(loadSample));
$('drop').addEventListener('dragover', (e) => e.preventDefault());
$('drop').addEventListener('drop', guard(async (e) => {
  const dropped = [...e.dataTransfer.files];
  for (const slot of ['original', 'edited']) if (!files[slot] && dropped.length) await takeFile(slot, dropped.shift());
}));
document.addEventListener('paste', guard(async (e) => {
  if ($('edit').hidden) return;
  const file = [...e.clipboardData.files][0];
  if (file) await takeFile(files.original ? 'edited' : 'original', file);
}));
for (const id of ['threshold', 'strength']) {
  $(id).addEventListener('input', guard(async () => {
    const v = $(id).value;
    $(`${id}-value`).textContent = id === 'threshold' && v === '0' ? 'auto' : v;
    await run();
  }));
}

try {
  const seg = await ready;
  if (seg.fallbackReason) notice(`No WebGPU here (${seg.fallbackReason}): everything runs on the CPU, more slowly.`);
  $('progress').hidden = true;
  say('Ready', 'ready');
  // Fetch the painter while the visitor reads the page; the first Segment waits for it.
  seg.loadPainter().catch((e) => say(`The painter could not load: ${message(e)}`, 'error'));
} catch (e) {
  say(`EditSeg could not start: ${message(e)}`, 'error');
}
