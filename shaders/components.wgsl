// Stage 5b: connected components (4-connected) by label propagation, then the choice of which to
// keep and the filling of holes. A pixel's label converges to 1 + the smallest pixel index in its
// component, the same labels the CPU twin's union-find gives (src/cleanup/components.rs).
//   init -> propagate (repeated until nothing changes) -> measure -> [largest_area, largest_label]
//   -> select (objects) or fill (holes, run on the background class).

struct Params {
    w: u32, h: u32, labelled: u32, mode: u32,
    min_area: u32, max_hole: u32, seed_x: i32, seed_y: i32,
    seed_r: i32,
    // The mask as packed bits (src/cleanup/bits.rs), as the open/close leaves it, or a word a pixel.
    packed: u32,
}

const KEEP_ALL: u32 = 0u;
const KEEP_LARGEST: u32 = 1u;
const KEEP_SEED: u32 = 2u;
const TOUCHES_BORDER: u32 = 1u;
const TOUCHES_SEED: u32 = 2u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> mask: array<u32>;
@group(0) @binding(2) var<storage, read_write> label: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> area: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> flags: array<atomic<u32>>;
// [0] something changed in this round, [1] largest area, [2] label of the largest component.
@group(0) @binding(5) var<storage, read_write> scalars: array<atomic<u32>, 3>;
@group(0) @binding(6) var<storage, read_write> out: array<u32>;

fn class_at(i: u32) -> u32 {
    if (p.packed == 0u) { return mask[i]; }
    let row_words = (p.w + 31u) / 32u;
    let x = i % p.w;
    return (mask[(i / p.w) * row_words + x / 32u] >> (x % 32u)) & 1u;
}

@compute @workgroup_size(256)
fn init(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.w * p.h) { return; }
    atomicStore(&label[i], select(0u, i + 1u, class_at(i) == p.labelled));
}

fn neighbour_min(m: u32, j: u32) -> u32 {
    let l = atomicLoad(&label[j]);
    if (l == 0u) { return m; }
    return min(m, l);
}

@compute @workgroup_size(256)
fn propagate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.w * p.h) { return; }
    let own = atomicLoad(&label[i]);
    if (own == 0u) { return; }
    let x = i % p.w;
    var m = own;
    if (x > 0u) { m = neighbour_min(m, i - 1u); }
    if (x + 1u < p.w) { m = neighbour_min(m, i + 1u); }
    if (i >= p.w) { m = neighbour_min(m, i - p.w); }
    if (i + p.w < p.w * p.h) { m = neighbour_min(m, i + p.w); }
    // Pointer jumping to the end of the chain: the pixel a label names is in the same component
    // and holds a label no larger, so following labels while they shrink stays in the component
    // (and a pass carries a label across a whole component's chain, not one step of it).
    loop {
        let next = atomicLoad(&label[m - 1u]);
        if (next >= m) { break; }
        m = next;
    }
    if (m < own) {
        atomicMin(&label[i], m);
        atomicMin(&label[own - 1u], m);
        atomicStore(&scalars[0], 1u);
    }
}

@compute @workgroup_size(256)
fn measure(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.w * p.h) { return; }
    let l = atomicLoad(&label[i]);
    if (l == 0u) { return; }
    atomicAdd(&area[l - 1u], 1u);
    let x = i32(i % p.w);
    let y = i32(i / p.w);
    if (x == 0 || y == 0 || x == i32(p.w) - 1 || y == i32(p.h) - 1) {
        atomicOr(&flags[l - 1u], TOUCHES_BORDER);
    }
    let dx = x - p.seed_x;
    let dy = y - p.seed_y;
    if (p.mode == KEEP_SEED && dx * dx + dy * dy <= p.seed_r * p.seed_r) {
        atomicOr(&flags[l - 1u], TOUCHES_SEED);
    }
}

@compute @workgroup_size(256)
fn largest_area(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.w * p.h) { return; }
    if (atomicLoad(&label[i]) == i + 1u) { atomicMax(&scalars[1], atomicLoad(&area[i])); }
}

@compute @workgroup_size(256)
fn largest_label(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.w * p.h) { return; }
    if (atomicLoad(&label[i]) == i + 1u && atomicLoad(&area[i]) == atomicLoad(&scalars[1])) {
        atomicMin(&scalars[2], i + 1u);
    }
}

@compute @workgroup_size(256)
fn select_components(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.w * p.h) { return; }
    let l = atomicLoad(&label[i]);
    var keep = false;
    if (l > 0u) {
        switch p.mode {
            case KEEP_LARGEST: { keep = l == atomicLoad(&scalars[2]); }
            case KEEP_SEED: { keep = (atomicLoad(&flags[l - 1u]) & TOUCHES_SEED) != 0u; }
            case KEEP_ALL, default: { keep = atomicLoad(&area[l - 1u]) >= p.min_area; }
        }
    }
    out[i] = select(0u, 1u, keep);
}

@compute @workgroup_size(256)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.w * p.h) { return; }
    let l = atomicLoad(&label[i]);
    var hole = false;
    if (l > 0u) {
        hole = (atomicLoad(&flags[l - 1u]) & TOUCHES_BORDER) == 0u && atomicLoad(&area[l - 1u]) <= p.max_hole;
    }
    out[i] = select(class_at(i), 1u, hole);
}
