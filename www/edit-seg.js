// <edit-seg>: EditSeg as one self-contained widget for docs pages. Import this module once
// (`editseg/element`); every widget on the page shares one wasm instance and one GPU device
// (runtime.js). It fires `editseg-ready` (detail: {backend, fallbackReason}), `editseg-result`
// (detail: the result: mask and stats, or {found: false, reason, note, ...} when nothing in the
// picture fits) and `editseg-error` (detail: {message}), and
// prepares and runs again when an attribute changes after it is connected.
//
//   <edit-seg mode="prompt" scene="3"></edit-seg>                   a RefScenes scene
//   <edit-seg mode="prompt" image="cat.png" instruction="..."></edit-seg>
//   <edit-seg mode="edit" original="a.png" edited="b.jpg" color="purple"></edit-seg>
//
// In prompt mode an editor of the page's own paints instead of the built-in painter once its
// `editor` property is set from script (never an attribute: keys do not belong in markup):
//   widget.editor = { adapter: 'openai', endpoint, model, key }   (or headers: async () => ({...}))
import { start, scene, bitmap } from './runtime.js';
import { draw, say, maskArea, message } from './view.js';

const STYLE = `
  :host { display: block; border: 1px solid #ddd; border-radius: 8px; padding: 0.7rem; font: 14px/1.4 system-ui, sans-serif; }
  .row { display: flex; gap: 0.5rem; flex-wrap: wrap; align-items: center; margin-bottom: 0.5rem; }
  input { flex: 1; min-width: 12rem; font: inherit; padding: 0.25rem; }
  button { font: inherit; }
  .views { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 0.5rem; }
  canvas { width: 100%; height: auto; background: #eee; image-rendering: pixelated; }
  [role="status"].error { color: #b00020; }
`;

const ATTRIBUTES = ['mode', 'scene', 'image', 'instruction', 'original', 'edited', 'color'];

class EditSegElement extends HTMLElement {
  static observedAttributes = ATTRIBUTES;

  #editor = null;

  /** `{adapter, endpoint, model, key}` or `{..., headers}`: prompt mode asks this editor. */
  get editor() {
    return this.#editor;
  }

  set editor(value) {
    this.#editor = value ?? null;
  }

  /** An attribute changed once the widget is up: take the new inputs and run again. */
  async attributeChangedCallback(name, before, after) {
    if (!this.ready || before === after) return;
    if (name === 'mode') {
      this.fire('editseg-error', { message: 'mode cannot change once the widget is connected' });
      return;
    }
    try {
      if (name === 'instruction') this.input.value = after ?? '';
      else await this.prepare();
      await this.run();
    } catch (e) {
      this.say(message(e), 'error');
      this.fire('editseg-error', { message: message(e) });
    }
  }

  fire(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  async connectedCallback() {
    // Set by script before this module defined the element: an own property hides the setter.
    if (Object.prototype.hasOwnProperty.call(this, 'editor')) {
      const value = this.editor;
      delete this.editor;
      this.editor = value;
    }
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: 'open' });
    const prompt = this.mode === 'prompt';
    root.innerHTML = `<style>${STYLE}</style>
      <div class="row">
        ${prompt ? '<input aria-label="Instruction">' : ''}
        <button type="button">${prompt ? 'Segment' : 'Get mask'}</button>
      </div>
      <div class="views">
        <canvas aria-label="Picture"></canvas><canvas aria-label="Edit"></canvas>
        <canvas aria-label="Mask overlay"></canvas>
      </div>
      <p role="status">Loading…</p>`;
    this.status = root.querySelector('[role="status"]');
    this.input = root.querySelector('input');
    this.canvases = root.querySelectorAll('canvas');
    root.querySelector('button').addEventListener('click', () => this.run());
    try {
      this.seg = await start();
      await this.prepare();
      this.ready = true;
      this.say('Ready', 'ready');
      this.fire('editseg-ready', { backend: this.seg.backend, fallbackReason: this.seg.fallbackReason });
    } catch (e) {
      this.say(message(e), 'error');
      this.fire('editseg-error', { message: message(e) });
    }
  }

  get mode() {
    return this.getAttribute('mode') === 'edit' ? 'edit' : 'prompt';
  }

  /** Show `text`; `state` (loading, ready, working, done or error) goes to data-state for scripts. */
  say(text, state) {
    say(this.status, this, text, state);
  }

  async prepare() {
    if (this.mode === 'edit') {
      [this.picture, this.edited] = await Promise.all([
        bitmap(this.getAttribute('original'), 'original'),
        bitmap(this.getAttribute('edited'), 'edited'),
      ]);
      draw(this.canvases[1], this.edited);
    } else if (this.hasAttribute('image')) {
      this.picture = await bitmap(this.getAttribute('image'), 'image');
      this.input.value = this.getAttribute('instruction') ?? '';
    } else {
      const s = await scene(Number(this.getAttribute('scene') ?? 0), 256);
      this.picture = s.image;
      this.input.value = this.getAttribute('instruction') ?? s.suggestions[0].instruction;
    }
    draw(this.canvases[0], this.picture);
  }

  /** Run the widget's instruction (or edit) and resolve to the result. */
  async run() {
    try {
      this.say('Working…', 'working');
      const color = this.getAttribute('color');
      const options = color ? { color } : {};
      const result = this.mode === 'edit'
        ? await this.seg.maskFromEdit(this.picture, this.edited, options)
        : this.editor
          ? await this.seg.segmentWithEditor(this.picture, this.input.value, this.editor, options, {
            onWaiting: (s) => this.say(`Waiting for the editor… ${s.toFixed(1)} s`, 'working'),
          })
          : await this.seg.segment(this.picture, this.input.value, options);
      this.result = result;
      if (result.found === false) {
        this.say(`No mask: ${result.note}.`, 'done');
        this.fire('editseg-result', result);
        return result;
      }
      if (result.edit) draw(this.canvases[1], result.edit);
      draw(this.canvases[2], result.overlay);
      this.say(`Mask: ${maskArea(result)}`, 'done');
      this.fire('editseg-result', result);
      return result;
    } catch (e) {
      this.say(message(e), 'error');
      this.fire('editseg-error', { message: message(e) });
      return null;
    }
  }
}

customElements.define('edit-seg', EditSegElement);
