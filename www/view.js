// Showing results: pictures on canvases, a status line, the mask's area. Shared by the demo page
// and the <edit-seg> widget.

/** Draw ImageData or an ImageBitmap on a canvas, resizing the canvas to fit. */
export function draw(canvas, image) {
  canvas.width = image.width;
  canvas.height = image.height;
  const ctx = canvas.getContext('2d');
  if (image instanceof ImageData) ctx.putImageData(image, 0, 0);
  else ctx.drawImage(image, 0, 0);
}

/**
 * Show `text` in `line`; `state` (loading, ready, working, done or error) goes to
 * `holder.dataset.state` for scripts and styles.
 */
export function say(line, holder, text, state) {
  line.textContent = text;
  line.classList.toggle('error', state === 'error');
  holder.dataset.state = state;
}

/** "N pixels (P%)" for a result's mask. */
export function maskArea({ stats }) {
  return `${stats.area} pixels (${(100 * stats.areaFraction).toFixed(1)}%)`;
}

/** A message for anything thrown. */
export function message(error) {
  return String(error?.message ?? error);
}
