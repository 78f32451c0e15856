// The demo page. Prompt: a RefScenes scene (or your image) + an instruction -> the painter (or an
// editor of your choice) paints -> diff + cleanup -> mask. Bring your own edit: an original + its
// edit -> diff + cleanup -> mask.
import { start, scene, bitmap } from './runtime.js';
import { draw, say as show, maskArea, message } from './view.js';

const $ = (id) => document.getElementById(id);
// Pictures up to this many pixels (a phone's full-resolution photo) are taken at full size: the
// library works on a smaller grid where it must and returns the mask at the picture's size.

const say = (text, state = 'info') => show($('status'), document.body, text, state);
// What stays in the notice whatever else it says: which backend runs, and why.
let standing = '';
const notice = (text) => {
  const all = [text, standing].filter(Boolean).join(' ');
  $('notice').textContent = all;
  $('notice').hidden = !all;
};

/** The progress bar and the status line follow a download, then the warm-up (`text`). */
const progress = ({ what, done, total, text }) => {
  if (text) {
    $('progress').removeAttribute('value');
    say(text, document.body.dataset.state);
    return;
  }
  $('progress').hidden = done >= total && total > 0;
  $('progress').max = total || done;
  $('progress').value = done;
  say(`Loading the ${what}… ${(done / 1e6).toFixed(1)}${total ? ` of ${(total / 1e6).toFixed(1)}` : ''} MB`, document.body.dataset.state);
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

/** `image`, or an error naming its size and the module's limit when it is too large. */
async function fit(image, what) {
  const { maxPixels } = await ready;
  const pixels = image.width * image.height;
  if (pixels > maxPixels) {
    throw new Error(`The ${what} is ${image.width}x${image.height} (${(pixels / 1e6).toFixed(1)} megapixels): the limit is ${maxPixels / 1e6} megapixels.`);
  }
  return image;
}

function tuning() {
  const options = {};
  const t = Number($('threshold').value);
  if (t > 0) options.threshold = t;
  // Auto (-1) leaves the radii to the library, which derives them from the picture's size and
  // keeps the painter's small, clean edits unopened.
  const s = Number($('strength').value);
  if (s >= 0) {
    options.open = s;
    options.close = s;
  }
  return options;
}

function ms(x) {
  return `${Math.round(x)} ms`;
}

// The IoU of every mask the painter made here for a RefScenes object with known truth.
const scores = [];

function iou(mask, truth) {
  let inter = 0, union = 0;
  for (let i = 0; i < mask.length; i++) {
    inter += mask[i] > 127 && truth[i] > 127;
    union += mask[i] > 127 || truth[i] > 127;
  }
  return union ? inter / union : 1;
}

/** Add `value` to the running score and redraw its histogram (ten bins of IoU). */
function score(value) {
  scores.push(value);
  const canvas = $('score-histogram');
  const ctx = canvas.getContext('2d');
  const bins = new Array(10).fill(0);
  for (const v of scores) bins[Math.min(9, Math.floor(v * 10))] += 1;
  const top = Math.max(...bins);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#1f77b4';
  const w = canvas.width / 10;
  bins.forEach((n, k) => ctx.fillRect(k * w + 1, canvas.height * (1 - n / top), w - 2, canvas.height * n / top));
  const mean = scores.reduce((a, b) => a + b) / scores.length;
  $('score-caption').textContent = `${scores.length} painter mask${scores.length === 1 ? '' : 's'} of RefScenes objects on this page: mean IoU ${mean.toFixed(3)} (histogram of IoU, 0 to 1)`;
  $('score').hidden = false;
}

// The newest request: a click while one runs replaces it, and the older one's result is dropped.
let latest = 0;

async function run() {
  if (!job) return;
  const mine = ++latest;
  const current = { ...job };
  const seg = await ready;
  const started = performance.now();
  let stage = '';
  const working = () => {
    const t = ((performance.now() - started) / 1000).toFixed(1);
    say(stage === 'editor' ? `Waiting for the editor… ${t} s` : `Working… ${t} s${stage && `: ${stage}`}`, 'working');
  };
  working();
  const ticking = setInterval(() => mine === latest && document.body.dataset.state === 'working' && working(), 100);
  try {
    await present(seg, current, started, () => mine === latest, (s) => (stage = s));
  } catch (e) {
    if (mine === latest) throw e;
  } finally {
    clearInterval(ticking);
  }
}

/** Run `job` and show its result unless `current()` says a newer request replaced it; `onStage` hears the diff's stages. */
async function present(seg, job, started, current, onStage) {
  const options = tuning();
  let result;
  const adapter = $('editor').value;
  if (job.kind === 'prompt' && adapter !== 'builtin') {
    if (!$('auto-color').checked) options.color = $('paint').value;
    const editor = { adapter, endpoint: $('endpoint').value.trim(), model: $('model').value.trim(), key: $('api-key').value };
    const cancel = new AbortController();
    $('cancel').hidden = false;
    $('cancel').onclick = () => cancel.abort();
    onStage('editor');
    try {
      result = await seg.segmentWithEditor(job.picture, job.instruction, editor, options, { signal: cancel.signal, onStage });
    } finally {
      $('cancel').hidden = true;
    }
    if (!current()) return;
    draw($('view-edited'), result.edit);
    link('download-edit', result.editPng, 'application/octet-stream');
    const st = result.stats;
    const r = st.registration;
    const frame = r.method === 'shift'
      ? `in the photo's frame${st.shift[0] || st.shift[1] ? ` (shifted ${st.shift[0]}, ${st.shift[1]})` : ''}`
      : `registered (${r.method}: scale ${r.scale[0].toFixed(3)}x${r.scale[1].toFixed(3)}, turn ${r.rotation.toFixed(2)} degrees${r.largestDrift > 0 ? `, drift up to ${r.largestDrift.toFixed(1)} px` : ''}, ${(100 * st.visibleShare).toFixed(1)}% seen)`;
    $('timings').textContent = `Editor ${ms(result.editorMs)} (${editor.model || adapter}), diff and cleanup ${ms(st.milliseconds)} on ${st.backend}; the edit came back ${st.editedWidth}x${st.editedHeight}, ${frame}. Paint ${result.colorName} (${result.paint}).`;
  } else if (job.kind === 'prompt') {
    if (!$('auto-color').checked) options.color = $('paint').value;
    result = await seg.segment(job.picture, job.instruction, options, { onProgress: progress });
    if (!current()) return;
    if (!result.found) {
      // Nothing in the picture fits: no mask, and the painter's reason in words. What an
      // earlier request drew and offered for download goes.
      draw($('view-original'), job.picture);
      for (const id of ['view-edited', 'view-heat', 'view-overlay']) {
        $(id).getContext('2d').clearRect(0, 0, $(id).width, $(id).height);
      }
      $('view-mask').hidden = true;
      for (const id of ['download-edit', 'download-mask']) $(id).hidden = true;
      say(`No mask: ${result.note}.`, 'done');
      return;
    }
    draw($('view-edited'), result.edit);
    link('download-edit', result.editPng);
    const truth = job.truths?.get(job.instruction);
    if (truth && result.timings.painter > 0) score(iou(result.maskBytes, truth));
    const t = result.timings;
    $('timings').textContent = `Model ${ms(t.painter)}${t.painter === 0 ? ' (reused)' : ''}, diff ${ms(t.diff)}, cleanup and upsampling ${ms(t.upsample)}; painter on ${result.painterBackend === 'webgpu' ? 'WebGPU' : 'the CPU'}, stages on ${result.stats.backend}. Paint ${result.paint} for “${result.expression}”.`;
  } else {
    if (job.color) options.color = job.color;
    result = await seg.maskFromEdit(job.picture, job.edited, options, { onStage });
    if (!current()) return;
    draw($('view-edited'), job.edited);
    link('download-edit', job.editedBytes, job.editedType);
    const st = result.stats;
    $('timings').textContent = `Diff and cleanup ${ms(performance.now() - started)} on ${st.backend}: the region found on a ${st.detectionWidth}x${st.detectionHeight} grid, its outline placed at ${st.workingWidth}x${st.workingHeight}, the mask at ${st.width}x${st.height}.`;
  }
  draw($('view-original'), job.picture);
  draw($('view-heat'), result.heat);
  draw($('view-overlay'), result.overlay);
  // What the library did to the inputs (an edit resampled, a large picture on a smaller grid).
  if (result.stats.notes.length) notice(`${result.stats.notes.join('; ')}.`);
  $('view-mask').src = link('download-mask', result.maskPng);
  $('view-mask').hidden = false;
  document.body.dataset.results = String(Number(document.body.dataset.results ?? 0) + 1);
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

async function newScene() {
  const index = sceneIndex++;
  const s = await scene(index, 256);
  document.body.dataset.scene = String(index);
  notice('');
  // The truth of each suggested instruction, to score the painter's masks on this page.
  const truths = new Map(s.suggestions.map(({ instruction, mask }) => [instruction, mask]));
  job = { kind: 'prompt', picture: s.image, instruction: s.suggestions[0].instruction, truths };
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
  say($('editor').value === 'builtin'
    ? 'Image loaded: the built-in painter knows RefScenes scenes only, and says so on other pictures; choose an editor for photos.'
    : 'Image loaded.');
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

// --- The editor: the built-in painter, or an editor of the visitor's own. The key lives in this
// page's memory (the password field) unless "Remember on this device" puts it in localStorage.
const stored = (adapter) => `editseg.editor-key.${adapter}`;

async function chooseEditor() {
  const adapter = $('editor').value;
  const external = adapter !== 'builtin';
  $('editor-settings').hidden = !external;
  if (!external) return;
  const { endpoint, model } = await (await ready).editorDefaults(adapter);
  $('endpoint').value = endpoint;
  $('model').value = model;
  const remembered = localStorage.getItem(stored(adapter));
  $('api-key').value = remembered ?? '';
  $('remember-key').checked = remembered !== null;
}

function rememberKey() {
  const key = stored($('editor').value);
  if ($('remember-key').checked && $('api-key').value) localStorage.setItem(key, $('api-key').value);
  else localStorage.removeItem(key);
}

function forgetKey() {
  for (const adapter of ['openai', 'gemini']) localStorage.removeItem(stored(adapter));
  $('api-key').value = '';
  $('remember-key').checked = false;
}

function showTab(which) {
  for (const [tab, panel] of [['tab-prompt', 'prompt'], ['tab-edit', 'edit']]) {
    const on = panel === which;
    $(tab).setAttribute('aria-selected', String(on));
    $(panel).hidden = !on;
  }
}

$('tab-prompt').addEventListener('click', () => showTab('prompt'));
$('editor').addEventListener('change', guard(chooseEditor));
$('remember-key').addEventListener('change', rememberKey);
$('api-key').addEventListener('input', () => $('remember-key').checked && rememberKey());
$('forget-key').addEventListener('click', forgetKey);
$('tab-edit').addEventListener('click', () => showTab('edit'));
$('new-scene').addEventListener('click', guard(async () => { await ready; await newScene(); }));
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
    const auto = (id === 'threshold' && v === '0') || (id === 'strength' && v === '-1');
    $(`${id}-value`).textContent = auto ? 'auto' : v;
    $(id).setAttribute('aria-valuetext', auto ? 'auto' : v);
    await run();
  }));
}

try {
  const seg = await ready;
  if (seg.fallbackReason) standing = `Running on the CPU: ${seg.fallbackReason}.`;
  notice('');
  $('progress').hidden = true;
  say('Ready', 'ready');
  // Fetch and prepare the painter while the visitor reads the page; the first Segment waits for it.
  seg.loadPainter().catch((e) => say(`The painter could not load: ${message(e)}`, 'error'));
} catch (e) {
  say(`EditSeg could not start: ${message(e)}`, 'error');
}
