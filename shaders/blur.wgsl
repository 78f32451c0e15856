// Stage 2a: separable Gaussian blur, one axis per dispatch, edges clamped. It removes the grain,
// re-synthesised texture and JPEG blocking that editors add to pixels they were not asked to
// touch. The weights come from the host in units of 1/65536 and every byte is summed in
// integers, so the result is the CPU twin's (src/diff/blur.rs) exactly.

struct Params { w: u32, h: u32, radius: u32, vertical: u32, weights: array<vec4<u32>, 5> }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

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

// Weight times each byte of the pixel k taps away.
fn tap(l: Line, k: i32, wk: u32) -> vec4<u32> {
    let v = src[u32(l.base + clamp(l.pos + k, 0, l.last) * l.step)];
    return wk * vec4<u32>(v & 255u, (v >> 8u) & 255u, (v >> 16u) & 255u, v >> 24u);
}

// Per channel, as the CPU twin sums: half a unit to round, then weight times byte.
fn write(i: u32, acc: vec4<u32>) {
    let b = min(acc >> vec4<u32>(16u), vec4<u32>(255u));
    dst[i] = b.x | (b.y << 8u) | (b.z << 16u) | (b.w << 24u);
}

// Radius 4 or less (every detection grid's), the nine taps written out: SwiftShader, the CPU
// emulation of a GPU in browsers without one, runs this straight-line code three times faster
// than the loop of `main`. The host centres the weights, zero beyond the radius.
@compute @workgroup_size(256)
fn near(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.w * p.h) { return; }
    let l = line_of(i);
    let w = p.weights;
    var acc = vec4<u32>(32768u);
    acc += tap(l, -4, w[0].x) + tap(l, -3, w[0].y) + tap(l, -2, w[0].z) + tap(l, -1, w[0].w);
    acc += tap(l, 0, w[1].x);
    acc += tap(l, 1, w[1].y) + tap(l, 2, w[1].z) + tap(l, 3, w[1].w) + tap(l, 4, w[2].x);
    write(i, acc);
}

// Any radius the weights hold.
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.w * p.h) { return; }
    let l = line_of(i);
    let r = i32(p.radius);
    var acc = vec4<u32>(32768u);
    for (var k = -r; k <= r; k++) {
        let t = u32(k + r);
        acc += tap(l, k, p.weights[t / 4u][t % 4u]);
    }
    write(i, acc);
}
