// Stage 1 through a fitted frame: the edit resampled once onto the working grid through the
// registration's map v = A (u + flow(u)) + b (u, v: pixel centres on [0, 1]² of each frame). Each
// output pixel averages taps_x * taps_y bilinear samples over its footprint in the edit; a pixel
// the edit does not show takes the original's, drift applied, with alpha 0. CPU twin:
// src/diff/warp.rs.

struct Params {
    dst_w: u32, dst_h: u32, src_w: u32, src_h: u32,
    taps_x: u32, taps_y: u32, nx: u32, ny: u32,
    // a00, a01, a10, a11
    a: vec4<f32>,
    // b, then the footprint's side along x (edit pixels per output pixel)
    b_colx: vec4<f32>,
    // the footprint's side along y, a pad
    coly: vec4<f32>,
    coef: array<vec4<f32>, 6>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> original: array<u32>;
// Per node (x, y) displacement, row by row; nx = 0 for none.
@group(0) @binding(3) var<storage, read_write> flow: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst: array<u32>;

fn texel(x: i32, y: i32) -> vec4<f32> {
    let cx = u32(clamp(x, 0, i32(p.src_w) - 1));
    let cy = u32(clamp(y, 0, i32(p.src_h) - 1));
    return unpack4x8unorm(src[cy * p.src_w + cx]);
}

fn bilinear(fx: f32, fy: f32) -> vec4<f32> {
    let px = fx - 0.5;
    let py = fy - 0.5;
    let x0 = floor(px);
    let y0 = floor(py);
    let tx = px - x0;
    let ty = py - y0;
    let ix = i32(x0);
    let iy = i32(y0);
    let top = mix(texel(ix, iy), texel(ix + 1, iy), tx);
    let bottom = mix(texel(ix, iy + 1), texel(ix + 1, iy + 1), tx);
    return mix(top, bottom, ty);
}

// The node cell along one axis and the place in it (Flow::cell).
fn axis(v: f32, n: u32) -> vec2<f32> {
    let f = clamp(v * f32(n - 1u), 0.0, f32(n - 1u));
    let i = min(u32(floor(f)), n - 2u);
    return vec2<f32>(f32(i), f - f32(i));
}

fn node(i: u32, j: u32) -> vec2<f32> {
    let k = 2u * (j * p.nx + i);
    return vec2<f32>(flow[k], flow[k + 1u]);
}

fn displacement(u: vec2<f32>) -> vec2<f32> {
    let ax = axis(u.x, p.nx);
    let ay = axis(u.y, p.ny);
    let i = u32(ax.x);
    let j = u32(ay.x);
    let tx = ax.y;
    let ty = ay.y;
    let top = node(i, j) * (1.0 - tx) + node(i + 1u, j) * tx;
    let bottom = node(i, j + 1u) * (1.0 - tx) + node(i + 1u, j + 1u) * tx;
    return top * (1.0 - ty) + bottom * ty;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.dst_w * p.dst_h) { return; }
    let x = i % p.dst_w;
    let y = i / p.dst_w;
    let u = vec2<f32>((f32(x) + 0.5) / f32(p.dst_w), (f32(y) + 0.5) / f32(p.dst_h));
    var w = u;
    if (p.nx > 0u) {
        let d = displacement(u);
        w = vec2<f32>(u.x + d.x, u.y + d.y);
    }
    let vx = p.a.x * w.x + p.a.y * w.y + p.b_colx.x;
    let vy = p.a.z * w.x + p.a.w * w.y + p.b_colx.y;
    let sw = f32(p.src_w);
    let sh = f32(p.src_h);
    let px = vx * sw;
    let py = vy * sh;
    if (px < 0.0 || px > sw || py < 0.0 || py > sh) {
        dst[i] = drifted(original[i], x, y, p.dst_w, p.dst_h, p.coef) & 0x00FFFFFFu;
        return;
    }
    var acc = vec4<f32>(0.0);
    for (var ty = 0u; ty < p.taps_y; ty++) {
        let oy = (f32(ty) + 0.5) / f32(p.taps_y) - 0.5;
        for (var tx = 0u; tx < p.taps_x; tx++) {
            let ox = (f32(tx) + 0.5) / f32(p.taps_x) - 0.5;
            acc += bilinear(px + p.b_colx.z * ox + p.coly.x * oy, py + p.b_colx.w * ox + p.coly.y * oy);
        }
    }
    let n = f32(p.taps_x * p.taps_y);
    dst[i] = (pack4x8unorm(acc / n) & 0x00FFFFFFu) | 0xFF000000u;
}
