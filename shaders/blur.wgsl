// Stage 2a: separable Gaussian blur, one axis per dispatch, edges clamped. It removes the grain,
// re-synthesised texture and JPEG blocking that editors add to pixels they were not asked to
// touch. The weights come from the host in units of 1/256 and every byte is summed in
// integers, so the result is the CPU twin's (src/diff/blur.rs) exactly.

// vertical: 0 along the rows, 1 down the columns, 2 down the columns with the original's drift
// applied (`near_pair`). coef: the drift's coefficients, as `drifted` in the prelude reads them.
struct Params {
    w: u32, h: u32, radius: u32, vertical: u32,
    weights: array<vec4<u32>, 5>,
    coef: array<vec4<f32>, 6>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
// `near_pair`'s second picture.
@group(0) @binding(3) var<storage, read_write> src2: array<u32>;
@group(0) @binding(4) var<storage, read_write> dst2: array<u32>;

// One pixel's taps: along a row (vertical = 0) or down a column, edges clamped.
struct Line { base: i32, pos: i32, last: i32, step: i32 }

fn line_of(i: u32) -> Line {
    let x = i32(i % p.w);
    let y = i32(i / p.w);
    if (p.vertical == 1u) {
        return Line(x, y, i32(p.h) - 1, i32(p.w));
    }
    return Line(y * i32(p.w), x, i32(p.w) - 1, 1);
}

// A pixel's channels 0 and 2, then 1 and 3, in 16-bit halves: weights in units of 1/256 that
// add up to 256 keep every sum of weight times byte under 65536, so two channels are summed in
// one word without carrying into each other.
fn even(v: u32) -> u32 { return v & 0x00ff00ffu; }
fn odd(v: u32) -> u32 { return (v >> 8u) & 0x00ff00ffu; }

// Per channel, as the CPU twin sums: half a unit to round (128 in each half), then weight times
// byte; the sum's upper byte is the result.
fn packed(e: u32, o: u32) -> u32 {
    return ((e >> 8u) & 0x00ff00ffu) | (o & 0xff00ff00u);
}

// Weight times the pixel k taps away, both halves.
fn tap(l: Line, k: i32, wk: u32) -> vec2<u32> {
    let v = src[u32(l.base + clamp(l.pos + k, 0, l.last) * l.step)];
    return wk * vec2<u32>(even(v), odd(v));
}

// One output from the nine pixels centred on it (`even` and `odd` halves); the host centres the
// weights, zero beyond the radius.
fn nine(a0: vec2<u32>, a1: vec2<u32>, a2: vec2<u32>, a3: vec2<u32>, a4: vec2<u32>,
        a5: vec2<u32>, a6: vec2<u32>, a7: vec2<u32>, a8: vec2<u32>) -> u32 {
    let w = p.weights;
    let acc = vec2<u32>(0x00800080u) + w[0].x * a0 + w[0].y * a1 + w[0].z * a2 + w[0].w * a3
        + w[1].x * a4 + w[1].y * a5 + w[1].z * a6 + w[1].w * a7 + w[2].x * a8;
    return packed(acc.x, acc.y);
}

fn halves(v: u32) -> vec2<u32> { return vec2<u32>(even(v), odd(v)); }

// The four outputs at l.pos .. l.pos + 3 from the twelve pixels they read.
fn four(t: array<vec2<u32>, 12>) -> vec4<u32> {
    return vec4<u32>(
        nine(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8]),
        nine(t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9]),
        nine(t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10]),
        nine(t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11]));
}

// Output j of the run, both pictures; down the columns in mode 2 the original's drift too.
fn put(l: Line, j: i32, o: u32, e: u32) {
    if (l.pos + j > l.last) { return; }
    let at = u32(l.base + (l.pos + j) * l.step);
    var v = o;
    if (p.vertical == 2u) {
        v = drifted(o, at % p.w, at / p.w, p.w, p.h, p.coef);
    }
    dst[at] = v;
    dst2[at] = e;
}

// Both pictures, four pixels along the axis per invocation, radius 4 or less (every detection
// grid's), the taps written out: SwiftShader, the CPU emulation of a GPU in browsers without
// one, runs straight-line code several times faster than a loop, and each pixel loaded serves up
// to four outputs.
@compute @workgroup_size(256)
fn near_pair(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    var l: Line;
    if (p.vertical == 0u) {
        let runs = (p.w + 3u) / 4u;
        if (i >= runs * p.h) { return; }
        l = Line(i32((i / runs) * p.w), i32(i % runs) * 4, i32(p.w) - 1, 1);
    } else {
        let runs = (p.h + 3u) / 4u;
        if (i >= runs * p.w) { return; }
        l = Line(i32(i % p.w), i32(i / p.w) * 4, i32(p.h) - 1, i32(p.w));
    }
    var at: array<u32, 12>;
    at[0] = u32(l.base + clamp(l.pos - 4, 0, l.last) * l.step);
    at[1] = u32(l.base + clamp(l.pos - 3, 0, l.last) * l.step);
    at[2] = u32(l.base + clamp(l.pos - 2, 0, l.last) * l.step);
    at[3] = u32(l.base + clamp(l.pos - 1, 0, l.last) * l.step);
    at[4] = u32(l.base + min(l.pos, l.last) * l.step);
    at[5] = u32(l.base + min(l.pos + 1, l.last) * l.step);
    at[6] = u32(l.base + min(l.pos + 2, l.last) * l.step);
    at[7] = u32(l.base + min(l.pos + 3, l.last) * l.step);
    at[8] = u32(l.base + min(l.pos + 4, l.last) * l.step);
    at[9] = u32(l.base + min(l.pos + 5, l.last) * l.step);
    at[10] = u32(l.base + min(l.pos + 6, l.last) * l.step);
    at[11] = u32(l.base + min(l.pos + 7, l.last) * l.step);
    let o = four(array<vec2<u32>, 12>(
        halves(src[at[0]]), halves(src[at[1]]), halves(src[at[2]]), halves(src[at[3]]),
        halves(src[at[4]]), halves(src[at[5]]), halves(src[at[6]]), halves(src[at[7]]),
        halves(src[at[8]]), halves(src[at[9]]), halves(src[at[10]]), halves(src[at[11]])));
    let e = four(array<vec2<u32>, 12>(
        halves(src2[at[0]]), halves(src2[at[1]]), halves(src2[at[2]]), halves(src2[at[3]]),
        halves(src2[at[4]]), halves(src2[at[5]]), halves(src2[at[6]]), halves(src2[at[7]]),
        halves(src2[at[8]]), halves(src2[at[9]]), halves(src2[at[10]]), halves(src2[at[11]])));
    put(l, 0, o.x, e.x);
    put(l, 1, o.y, e.y);
    put(l, 2, o.z, e.z);
    put(l, 3, o.w, e.w);
}

// Any radius the weights hold.
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.w * p.h) { return; }
    let l = line_of(i);
    let r = i32(p.radius);
    var acc = vec2<u32>(0x00800080u);
    for (var k = -r; k <= r; k++) {
        let t = u32(k + r);
        acc += tap(l, k, p.weights[t / 4u][t % 4u]);
    }
    dst[i] = packed(acc.x, acc.y);
}
