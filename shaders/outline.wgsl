// Stage 5c: the outline placed where the paint is at half its local strength. `average`
// smooths the paint's strength per detection pixel (which the score measured: the sharp pair's
// change, unsaturated) over 3x3, so that texture under the paint does not count; `classify` marks
// the band along the cleaned mask's outline, `plan` gives each band pixel of the mask the cut
// half way between the strongest mask pixel nearby and the weakest other one, `place` decides
// each pixel of the fine grid against its detection pixel's plan. Cuts are whole numbers from
// whole-number strengths, so they are the CPU twin's exactly wherever the strengths agree.
// Small windows are written out: SwiftShader, the CPU emulation of a GPU in browsers without
// one, runs straight-line code several times faster than a loop.
// CPU twin: src/cleanup/outline.rs.

struct Params {
    w: u32, h: u32, fw: u32, fh: u32,
    radius: u32, reach: u32, dx: i32, dy: i32,
    paint: vec3<f32>, has_paint: u32,
    strength_scale: f32, off_axis: f32, grow: u32,
    // With drifted = 1, the original's pixels are drift-corrected as they are read (stage 2b).
    drifted: u32,
    coef: array<vec4<f32>, 6>,
}

// average: c = averaged strength, d = the score, then each detection pixel's own strength.
// classify: a = mask, b = classes. plan: a = classes, b = strength, c = plan.
// place: a = plan, b = fine original, c = fine edited, d = fine mask, e = averaged strengths.
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> a: array<u32>;
@group(0) @binding(2) var<storage, read_write> b: array<u32>;
@group(0) @binding(3) var<storage, read_write> c: array<u32>;
@group(0) @binding(4) var<storage, read_write> d: array<u32>;
@group(0) @binding(5) var<storage, read_write> e: array<u32>;

const OUTSIDE: u32 = 0u;
const INSIDE: u32 = 1u;
const BAND: u32 = 2u;
const CUT: u32 = 2u;
const MAX_STRENGTH: u32 = 4095u;

// The paint's strength for one pixel pair.
fn strength_of(original: u32, edited: u32) -> u32 {
    let change = change_toward(original, edited, p.paint, p.has_paint == 1u, p.off_axis);
    return min(u32(change * p.strength_scale + 0.5), MAX_STRENGTH);
}

// The strength of the fine pixel pair (b, c) at (x, y) of the fw x fh grid.
fn raw_strength(x: i32, y: i32) -> u32 {
    let i = u32(y) * p.fw + u32(x);
    let ex = u32(clamp(x + p.dx, 0, i32(p.fw) - 1));
    let ey = u32(clamp(y + p.dy, 0, i32(p.fh) - 1));
    var o = b[i];
    if (p.drifted == 1u) { o = drifted(o, u32(x), u32(y), p.fw, p.fh, p.coef); }
    return strength_of(o, c[ey * p.fw + ex]);
}

// The 3x3 neighbourhood's strengths (coordinates clamped) measured and averaged in whole
// numbers, for `place`, which runs it only on cut pixels (a loop: nine inlined measurements
// would make the code too large).
fn smoothed(x: i32, y: i32) -> u32 {
    var sum = 0u;
    for (var dy = -1; dy <= 1; dy++) {
        for (var dx = -1; dx <= 1; dx++) {
            sum += raw_strength(clamp(x + dx, 0, i32(p.fw) - 1), clamp(y + dy, 0, i32(p.fh) - 1));
        }
    }
    return (sum + 4u) / 9u;
}

// Three measured strengths of row y (clamped) around x, from the second half of d.
fn stored_row(x: i32, y: i32) -> u32 {
    let row = p.fw * p.fh + u32(clamp(y, 0, i32(p.fh) - 1)) * p.fw;
    let last = i32(p.fw) - 1;
    return d[row + u32(clamp(x - 1, 0, last))] + d[row + u32(x)] + d[row + u32(clamp(x + 1, 0, last))];
}

@compute @workgroup_size(256)
fn average(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.fw * p.fh) { return; }
    let x = i32(i % p.fw);
    let y = i32(i / p.fw);
    c[i] = (stored_row(x, y - 1) + stored_row(x, y) + stored_row(x, y + 1) + 4u) / 9u;
}

// Radius 1 or 2 (the band's on every detection grid): four pixels along a row per invocation,
// the window written out. Each of the five rows is read once at the eight columns x0 - 2 ..
// x0 + 5 (clamped: a clamped column lies inside the window of every pixel that reaches past
// the edge), as bits; pixel k's window is bits k .. k + 4 (k + 1 .. k + 3 at radius 1).
@compute @workgroup_size(256)
fn classify_near(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    let runs = (p.w + 3u) / 4u;
    if (i >= runs * p.h) { return; }
    let x0 = i32(i % runs) * 4;
    let y = i32(i / runs);
    let wide = p.radius == 2u;
    // Bits of the columns with an inside pixel in some row of the window, and with an outside one.
    let own = row_bits(x0, y);
    let above = row_bits(x0, y - 1);
    let below = row_bits(x0, y + 1);
    var ones = own | above | below;
    var zeros = ~own | ~above | ~below;
    if (wide) {
        let top = row_bits(x0, y - 2);
        let bottom = row_bits(x0, y + 2);
        ones |= top | bottom;
        zeros |= ~top | ~bottom;
    }
    let window = select(0xeu, 0x1fu, wide);
    put_class(x0, y, 0u, own, ones, zeros, window);
    put_class(x0, y, 1u, own, ones, zeros, window);
    put_class(x0, y, 2u, own, ones, zeros, window);
    put_class(x0, y, 3u, own, ones, zeros, window);
}

// Pixel k of the run: a band pixel when its window holds the other label.
fn put_class(x0: i32, y: i32, k: u32, own: u32, ones: u32, zeros: u32, window: u32) {
    let x = u32(x0) + k;
    if (x >= p.w) { return; }
    let label = ((own >> (k + 2u)) & 1u) != 0u;
    let other = (select(ones, zeros, label) & (window << k)) != 0u;
    let l = select(0u, 1u, label);
    b[u32(y) * p.w + x] = select(l, BAND + l, other);
}

// Row y's (clamped) mask at columns x0 - 2 .. x0 + 5 (clamped), bit j for column x0 - 2 + j.
fn row_bits(x0: i32, y: i32) -> u32 {
    let row = u32(clamp(y, 0, i32(p.h) - 1)) * p.w;
    let last = i32(p.w) - 1;
    return select(0u, 1u, a[row + u32(clamp(x0 - 2, 0, last))] != 0u)
        | select(0u, 2u, a[row + u32(clamp(x0 - 1, 0, last))] != 0u)
        | select(0u, 4u, a[row + u32(min(x0, last))] != 0u)
        | select(0u, 8u, a[row + u32(min(x0 + 1, last))] != 0u)
        | select(0u, 16u, a[row + u32(min(x0 + 2, last))] != 0u)
        | select(0u, 32u, a[row + u32(min(x0 + 3, last))] != 0u)
        | select(0u, 64u, a[row + u32(min(x0 + 4, last))] != 0u)
        | select(0u, 128u, a[row + u32(min(x0 + 5, last))] != 0u);
}

// Any radius: a pixel per invocation, a loop over its window.
@compute @workgroup_size(256)
fn classify(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.w * p.h) { return; }
    let x = i32(i % p.w);
    let y = i32(i / p.w);
    let r = i32(p.radius);
    let label = a[i] != 0u;
    var other = false;
    for (var yy = max(y - r, 0); yy <= min(y + r, i32(p.h) - 1); yy++) {
        for (var xx = max(x - r, 0); xx <= min(x + r, i32(p.w) - 1); xx++) {
            if ((a[u32(yy) * p.w + u32(xx)] != 0u) != label) { other = true; }
        }
    }
    let l = select(0u, 1u, label);
    b[i] = select(l, BAND + l, other);
}

@compute @workgroup_size(256)
fn plan(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.w * p.h) { return; }
    let kind = a[i];
    if (kind != BAND + INSIDE && !(p.grow == 1u && kind == BAND + OUTSIDE)) { c[i] = kind % BAND; return; }
    let x = i32(i % p.w);
    let y = i32(i / p.w);
    // The mask's strongest strength within `reach` (its plateau) and the others' weakest within
    // `radius` (the background).
    let reach = i32(p.reach);
    let r = max(i32(p.radius), reach);
    var strongest = 0u;
    var weakest = MAX_STRENGTH + 1u;
    for (var yy = max(y - r, 0); yy <= min(y + r, i32(p.h) - 1); yy++) {
        for (var xx = max(x - r, 0); xx <= min(x + r, i32(p.w) - 1); xx++) {
            let j = u32(yy) * p.w + u32(xx);
            let near = abs(xx - x) <= reach && abs(yy - y) <= reach;
            let background = abs(xx - x) <= i32(p.radius) && abs(yy - y) <= i32(p.radius);
            if (a[j] == INSIDE || a[j] == BAND + INSIDE) {
                if (near) { strongest = max(strongest, b[j]); }
            } else if (background) {
                weakest = min(weakest, b[j]);
            }
        }
    }
    if (weakest > MAX_STRENGTH || strongest <= weakest) { c[i] = kind - BAND; return; }
    c[i] = CUT + (strongest + weakest + 1u) / 2u;
}

// The mask as bytes, four pixels a word (the host's one-byte-a-pixel image as it lies in memory,
// a quarter of the words to read back): 255 inside, 0 outside.
@compute @workgroup_size(256)
fn place(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let k = item_index(gid, nwg);
    let n = p.fw * p.fh;
    if (4u * k >= n) { return; }
    var packed = 0u;
    for (var j = 0u; j < 4u; j++) {
        let i = 4u * k + j;
        if (i < n && placed(i)) { packed |= 0xffu << (8u * j); }
    }
    d[k] = packed;
}

// `place` when the fine grid is the detection grid and the pixel pairs are the same: the
// averaged strengths (e) are measured already, and each pixel is its own detection pixel.
@compute @workgroup_size(256)
fn place_own(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let k = item_index(gid, nwg);
    let n = p.fw * p.fh;
    if (4u * k >= n) { return; }
    // Indices clamped as well as tested: `&&` need not skip the read past the end.
    let last = n - 1u;
    d[k] = select(0u, 0xffu, own(4u * k)) | select(0u, 0xff00u, 4u * k + 1u < n && own(min(4u * k + 1u, last)))
        | select(0u, 0xff0000u, 4u * k + 2u < n && own(min(4u * k + 2u, last)))
        | select(0u, 0xff000000u, 4u * k + 3u < n && own(min(4u * k + 3u, last)));
}

fn own(i: u32) -> bool {
    let word = a[i];
    return word == INSIDE || (word >= CUT && e[i] >= word - CUT);
}

fn placed(i: u32) -> bool {
    let x = i % p.fw;
    let y = i / p.fw;
    // The detection pixel this one falls in (the products fit: sides stay under 65536).
    let gx = x * p.w / p.fw;
    let gy = y * p.h / p.fh;
    let word = a[gy * p.w + gx];
    if (word < CUT) { return word == INSIDE; }
    return smoothed(i32(x), i32(y)) >= word - CUT;
}
