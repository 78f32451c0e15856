// Stage 1: bring an image onto another grid. Each output pixel averages taps_x * taps_y bilinear
// samples spread over its footprint, so shrinking never skips source pixels and enlarging is
// plain bilinear. CPU twin: src/diff/resample.rs.

// shift_x, shift_y (i32 bits): shrink reads the source moved by them (`main` ignores them).
struct Params {
    src_w: u32, src_h: u32, dst_w: u32, dst_h: u32, taps_x: u32, taps_y: u32,
    shift_x: u32, shift_y: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

fn texel(x: i32, y: i32) -> vec4<f32> {
    let cx = u32(clamp(x, 0, i32(p.src_w) - 1));
    let cy = u32(clamp(y, 0, i32(p.src_h) - 1));
    return unpack4x8unorm(src[cy * p.src_w + cx]);
}

// (fx, fy) in source pixel units, pixel centres at +0.5.
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

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.dst_w * p.dst_h) { return; }
    let x = i % p.dst_w;
    let y = i / p.dst_w;
    let sx = f32(p.src_w) / f32(p.dst_w);
    let sy = f32(p.src_h) / f32(p.dst_h);
    var acc = vec4<f32>(0.0);
    for (var ty = 0u; ty < p.taps_y; ty++) {
        let fy = (f32(y) + (f32(ty) + 0.5) / f32(p.taps_y)) * sy;
        for (var tx = 0u; tx < p.taps_x; tx++) {
            let fx = (f32(x) + (f32(tx) + 0.5) / f32(p.taps_x)) * sx;
            acc += bilinear(fx, fy);
        }
    }
    dst[i] = pack4x8unorm(acc / f32(p.taps_x * p.taps_y));
}

// The first source pixel that falls in output pixel `d` (source pixel s falls in
// s * dst / src, as the CPU's pixels::nearest).
fn block_start(d: u32, src: u32, dst: u32) -> u32 {
    return (d * src + dst - 1u) / dst;
}

// Shrinking to a grid whole times smaller: each output pixel the average of the source pixels
// that fall in it, rounded half up, as the CPU twin computes it (Average in resample.rs: exact).
// The source is read moved by the shift, edge pixels repeated.
@compute @workgroup_size(256)
fn shrink(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.dst_w * p.dst_h) { return; }
    let x = i % p.dst_w;
    let y = i / p.dst_w;
    let x0 = block_start(x, p.src_w, p.dst_w);
    let x1 = block_start(x + 1u, p.src_w, p.dst_w);
    let y0 = block_start(y, p.src_h, p.dst_h);
    let y1 = block_start(y + 1u, p.src_h, p.dst_h);
    var sum = vec4<u32>(0u);
    let dx = bitcast<i32>(p.shift_x);
    let dy = bitcast<i32>(p.shift_y);
    for (var sy = y0; sy < y1; sy++) {
        let row = u32(clamp(i32(sy) + dy, 0, i32(p.src_h) - 1)) * p.src_w;
        for (var sx = x0; sx < x1; sx++) {
            let v = src[row + u32(clamp(i32(sx) + dx, 0, i32(p.src_w) - 1))];
            sum += (vec4<u32>(v) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(255u);
        }
    }
    let count = f32((x1 - x0) * (y1 - y0));
    let q = vec4<u32>((vec4<f32>(sum) + 0.5 * count) * (1.0 / count) + 1.0 / 1024.0);
    dst[i] = q.x | (q.y << 8u) | (q.z << 16u) | (q.w << 24u);
}
