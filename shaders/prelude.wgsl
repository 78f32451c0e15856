// Put before every kernel: per-item kernels run 256 invocations a workgroup on a 2-D grid of
// workgroups (see Gpu::run_items), and this recovers the item an invocation works on.
fn item_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 256u;
}

// The drift model of src/diff/drift.rs (`Drift::apply`) on one packed pixel at (x, y) of a w x h
// grid: per channel a(x, y) * v + b with a quadratic gain field. `coef` holds 8 floats per
// channel: the six terms of a over (1, x, y, x*x, x*y, y*y), then b, then a pad. Constant
// indices only: arrays passed by value may not be indexed dynamically everywhere.
fn drift_channel(lo: vec4<f32>, hi: vec4<f32>, v: f32, b_lo: vec4<f32>, b_hi: vec2<f32>) -> f32 {
    return (dot(lo, b_lo) + dot(hi.xy, b_hi)) * v + hi.z;
}

fn drifted(pixel: u32, x: u32, y: u32, w: u32, h: u32, coef: array<vec4<f32>, 6>) -> u32 {
    let fx = (f32(x) + 0.5) / f32(w) * 2.0 - 1.0;
    let fy = (f32(y) + 0.5) / f32(h) * 2.0 - 1.0;
    let b_lo = vec4<f32>(1.0, fx, fy, fx * fx);
    let b_hi = vec2<f32>(fx * fy, fy * fy);
    let v = unpack4x8unorm(pixel);
    return pack4x8unorm(vec4<f32>(
        drift_channel(coef[0], coef[1], v.x, b_lo, b_hi),
        drift_channel(coef[2], coef[3], v.y, b_lo, b_hi),
        drift_channel(coef[4], coef[5], v.z, b_lo, b_hi),
        v.w,
    ));
}

// sRGB in [0, 1] to CIELAB (D65), for the stages that compare colours. CPU twin: src/color/lab.rs.
fn srgb_to_linear(c: f32) -> f32 {
    if (c <= 0.04045) { return c / 12.92; }
    return pow((c + 0.055) / 1.055, 2.4);
}

// The cube root of t in [0.008856, 2] as src/color/lab.rs computes it: the inverse cube root
// from an exponent-bits guess (within 4%), three Newton steps of multiplies only (error under
// 1e-6), then t r². Much cheaper than `pow` or divisions where a CPU emulates the GPU.
fn cube_root(t: f32) -> f32 {
    var r = bitcast<f32>(0x54a21d2au - bitcast<u32>(t) / 3u);
    r = r * (4.0 - t * r * r * r) * (1.0 / 3.0);
    r = r * (4.0 - t * r * r * r) * (1.0 / 3.0);
    r = r * (4.0 - t * r * r * r) * (1.0 / 3.0);
    return t * r * r;
}

fn lab_f(t: f32) -> f32 {
    if (t > 0.008856) { return cube_root(t); }
    return 7.787 * t + 16.0 / 116.0;
}

// CIELAB from linear RGB.
fn lab_linear(r: f32, g: f32, b: f32) -> vec3<f32> {
    // XYZ over the white point's, the division folded into the matrix (as src/color/lab.rs).
    let x = 0.43389060 * r + 0.37623492 * g + 0.18990605 * b;
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let z = 0.01772545 * r + 0.10947531 * g + 0.8729554 * b;
    let fx = lab_f(x);
    let fy = lab_f(y);
    let fz = lab_f(z);
    return vec3<f32>(116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz));
}

fn lab(rgb: vec3<f32>) -> vec3<f32> {
    return lab_linear(srgb_to_linear(rgb.x), srgb_to_linear(rgb.y), srgb_to_linear(rgb.z));
}

// The CIELAB change from one packed RGBA pixel to another. With a known paint colour, a change
// that points from the original toward the paint counts fully and one in another direction
// counts `off_axis`. CPU twin: `change` in src/diff/score.rs.
fn change_toward(original_rgba: u32, edited_rgba: u32, paint: vec3<f32>, has_paint: bool, off_axis: f32) -> f32 {
    let o = lab(unpack4x8unorm(original_rgba).xyz);
    let e = lab(unpack4x8unorm(edited_rgba).xyz);
    return change_lab(o, e, paint, has_paint, off_axis);
}

// `change_toward` of two colours already in CIELAB.
fn change_lab(o: vec3<f32>, e: vec3<f32>, paint: vec3<f32>, has_paint: bool, off_axis: f32) -> f32 {
    let d = e - o;
    let change = length(d);
    var weight = 1.0;
    if (has_paint) {
        let toward = paint - o;
        let reach = length(toward);
        if (reach > 1.0 && change > 0.0) {
            let cosine = dot(d, toward) / (change * reach);
            weight = off_axis + (1.0 - off_axis) * max(cosine, 0.0);
        }
    }
    return change * weight;
}
