// What crosses between the page and its worker: an ImageData goes as its parts, because posting
// an ImageData copies its pixels twice (even with its buffer in the transfer list), while a bare
// pixel array in the transfer list is handed over as it is (48 MB for a 12 MP picture).

const PARTS = 'editseg.imageData';

const plain = (v) => v && typeof v === 'object' && (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype);

/**
 * `value` ready to post, and the buffers to transfer with it. `copy`: the sender keeps its
 * images (a caller's ImageData), so their pixels are copied once and the copies handed over.
 */
export function toWire(value, copy = false) {
  const transfer = new Set();
  const walk = (v) => {
    if (typeof ImageData !== 'undefined' && v instanceof ImageData) {
      const data = copy ? new Uint8ClampedArray(v.data) : v.data;
      transfer.add(data.buffer);
      return { [PARTS]: true, width: v.width, height: v.height, data };
    }
    if (!copy && ArrayBuffer.isView(v)) transfer.add(v.buffer);
    if (Array.isArray(v)) return v.map(walk);
    if (plain(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const wired = walk(value);
  return [wired, [...transfer]];
}

/** The value `toWire` was given, its images ImageData again (wrapping the arrived pixels). */
export function fromWire(value) {
  if (Array.isArray(value)) return value.map(fromWire);
  if (!plain(value)) return value;
  if (value[PARTS]) return new ImageData(value.data, value.width, value.height);
  return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, fromWire(x)]));
}
