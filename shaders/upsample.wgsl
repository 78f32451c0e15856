// Stage 7 (painter path): joint bilateral upsampling of the painter's small mask (0 or 255) to
// the picture's grid. Each pixel weighs the small-grid pixels around it by distance and by how
// close their colour in the small picture is to its own, so the outline follows the picture's
// edges. CPU twin: src/cleanup/upsample.rs.

struct Params { sw: u32, sh: u32, fw: u32, fh: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> mask: array<u32>;
@group(0) @binding(2) var<storage, read_write> guide: array<u32>;
@group(0) @binding(3) var<storage, read_write> picture: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;

const REACH: i32 = 2;
const SIGMA_SPACE: f32 = 1.0;
const SIGMA_COLOUR: f32 = 10.0;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.fw * p.fh) { return; }
    let u = (f32(i % p.fw) + 0.5) * f32(p.sw) / f32(p.fw) - 0.5;
    let v = (f32(i / p.fw) + 0.5) * f32(p.sh) / f32(p.fh) - 0.5;
    let me = lab(unpack4x8unorm(picture[i]).xyz);
    let u0 = i32(floor(u));
    let v0 = i32(floor(v));
    var sum = 0.0;
    var weight = 0.0;
    for (var j = v0 - REACH + 1; j <= v0 + REACH; j++) {
        for (var k = u0 - REACH + 1; k <= u0 + REACH; k++) {
            if (k < 0 || j < 0 || k >= i32(p.sw) || j >= i32(p.sh)) { continue; }
            let s = u32(j) * p.sw + u32(k);
            let du = f32(k) - u;
            let dv = f32(j) - v;
            let d = lab(unpack4x8unorm(guide[s]).xyz) - me;
            // The small floor keeps a pixel unlike all its neighbours from weighing nothing.
            let w = exp(-(du * du + dv * dv) / (2.0 * SIGMA_SPACE * SIGMA_SPACE))
                * (exp(-dot(d, d) / (2.0 * SIGMA_COLOUR * SIGMA_COLOUR)) + 1e-4);
            sum += w * f32(mask[s]);
            weight += w;
        }
    }
    out[i] = select(0u, 255u, weight > 0.0 && sum / weight >= 127.5);
}
