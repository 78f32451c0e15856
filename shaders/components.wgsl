// Stage 5b: connected components (4-connected) on runs, one invocation a row. Each row's
// stretches of the labelled class are found; runs of consecutive rows that overlap are joined in
// a union-find whose parent never comes after its child (atomicMin), so a component's root is
// its first run and its label 1 + its smallest pixel index, as the CPU twin's
// (src/cleanup/components.rs). Then the components are measured (area, border, seed) and those
// to keep painted; the holes of what is kept are found the same way and filled.
//   runs -> join -> measure -> [largest_area, largest_root] -> select     (objects)
//   runs -> join -> measure -> fill                                        (holes)
// Run slot s = y * per_row + k holds row y's k-th run, so slot order is pixel order.

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
// Two words a slot: the run's first column and the column after its last.
@group(0) @binding(2) var<storage, read_write> runs: array<u32>;
@group(0) @binding(3) var<storage, read_write> count: array<u32>;
@group(0) @binding(4) var<storage, read_write> parent: array<atomic<u32>>;
// Two words a root slot: area and flags.
@group(0) @binding(5) var<storage, read_write> measures: array<atomic<u32>>;
// [1] largest area, [2] the first root slot with it.
@group(0) @binding(6) var<storage, read_write> scalars: array<atomic<u32>, 3>;
@group(0) @binding(7) var<storage, read_write> out: array<u32>;

fn per_row() -> u32 { return (p.w + 1u) / 2u; }

fn class_at(y: u32, x: u32) -> u32 {
    if (p.packed == 0u) { return mask[y * p.w + x]; }
    return (mask[y * ((p.w + 31u) / 32u) + x / 32u] >> (x % 32u)) & 1u;
}



@compute @workgroup_size(256)
fn find_runs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let y = item_index(gid, nwg);
    if (y >= p.h) { return; }
    let base = y * per_row();
    var k = 0u;
    var x = 0u;
    while (x < p.w) {
        if (class_at(y, x) != p.labelled) { x++; continue; }
        let x0 = x;
        while (x < p.w && class_at(y, x) == p.labelled) { x++; }
        let s = base + k;
        runs[2u * s] = x0;
        runs[2u * s + 1u] = x;
        atomicStore(&parent[s], s);
        k++;
    }
    count[y] = k;
}

fn find(i: u32) -> u32 {
    var r = i;
    loop {
        let q = atomicLoad(&parent[r]);
        if (q == r) { return r; }
        r = q;
    }
    return r;
}

// Join the components of slots a and b: point the later root at the earlier, retrying when
// another invocation moved that root first.
fn merge(a0: u32, b0: u32) {
    var a = a0;
    var b = b0;
    loop {
        a = find(a);
        b = find(b);
        if (a == b) { return; }
        let hi = max(a, b);
        let lo = min(a, b);
        let old = atomicMin(&parent[hi], lo);
        if (old == hi) { return; }
        a = old;
        b = lo;
    }
}

@compute @workgroup_size(256)
fn join(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let y = item_index(gid, nwg);
    if (y == 0u || y >= p.h) { return; }
    let above = (y - 1u) * per_row();
    let here = y * per_row();
    var a = 0u;
    var b = 0u;
    while (a < count[y - 1u] && b < count[y]) {
        let sa = above + a;
        let sb = here + b;
        let a1 = runs[2u * sa + 1u];
        let b1 = runs[2u * sb + 1u];
        if (runs[2u * sa] < b1 && runs[2u * sb] < a1) { merge(sa, sb); }
        if (a1 < b1) { a++; } else { b++; }
    }
}

// Points every run at its root (joining is over) and adds it to its root's measures.
@compute @workgroup_size(256)
fn measure(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let y = item_index(gid, nwg);
    if (y >= p.h) { return; }
    let base = y * per_row();
    for (var k = 0u; k < count[y]; k++) {
        let s = base + k;
        let root = find(s);
        atomicStore(&parent[s], root);
        let x0 = runs[2u * s];
        let x1 = runs[2u * s + 1u];
        atomicAdd(&measures[2u * root], x1 - x0);
        if (y == 0u || y == p.h - 1u || x0 == 0u || x1 == p.w) {
            atomicOr(&measures[2u * root + 1u], TOUCHES_BORDER);
        }
        // The run's pixel nearest the seed's column.
        let dx = clamp(p.seed_x, i32(x0), i32(x1) - 1) - p.seed_x;
        let dy = i32(y) - p.seed_y;
        if (p.mode == KEEP_SEED && dx * dx + dy * dy <= p.seed_r * p.seed_r) {
            atomicOr(&measures[2u * root + 1u], TOUCHES_SEED);
        }
    }
}

fn is_root(s: u32) -> bool { return atomicLoad(&parent[s]) == s; }

@compute @workgroup_size(256)
fn largest_area(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let y = item_index(gid, nwg);
    if (y >= p.h) { return; }
    for (var s = y * per_row(); s < y * per_row() + count[y]; s++) {
        if (is_root(s)) { atomicMax(&scalars[1], atomicLoad(&measures[2u * s])); }
    }
}

@compute @workgroup_size(256)
fn largest_root(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let y = item_index(gid, nwg);
    if (y >= p.h) { return; }
    for (var s = y * per_row(); s < y * per_row() + count[y]; s++) {
        if (is_root(s) && atomicLoad(&measures[2u * s]) == atomicLoad(&scalars[1])) {
            atomicMin(&scalars[2], s);
        }
    }
}

fn paint(y: u32, s: u32, value: u32) {
    for (var x = runs[2u * s]; x < runs[2u * s + 1u]; x++) { out[y * p.w + x] = value; }
}

// The kept components as 1 in `out` (zero before).
@compute @workgroup_size(256)
fn select_components(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let y = item_index(gid, nwg);
    if (y >= p.h) { return; }
    for (var s = y * per_row(); s < y * per_row() + count[y]; s++) {
        let root = atomicLoad(&parent[s]);
        var keep: bool;
        switch p.mode {
            case KEEP_LARGEST: { keep = root == atomicLoad(&scalars[2]); }
            case KEEP_SEED: { keep = (atomicLoad(&measures[2u * root + 1u]) & TOUCHES_SEED) != 0u; }
            case KEEP_ALL, default: { keep = atomicLoad(&measures[2u * root]) >= p.min_area; }
        }
        if (keep) { paint(y, s, 1u); }
    }
}

// The mask (a word a pixel) with its holes filled: background components that touch no border
// and are no larger than max_hole.
@compute @workgroup_size(256)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let y = item_index(gid, nwg);
    if (y >= p.h) { return; }
    for (var x = 0u; x < p.w; x++) { out[y * p.w + x] = mask[y * p.w + x]; }
    for (var s = y * per_row(); s < y * per_row() + count[y]; s++) {
        let root = atomicLoad(&parent[s]);
        if ((atomicLoad(&measures[2u * root + 1u]) & TOUCHES_BORDER) == 0u
            && atomicLoad(&measures[2u * root]) <= p.max_hole) {
            paint(y, s, 1u);
        }
    }
}

// Every pixel's label (1 + the smallest pixel index of its component; 0 off the class), for
// the comparison with the CPU twin.
@compute @workgroup_size(256)
fn labels(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let y = item_index(gid, nwg);
    if (y >= p.h) { return; }
    for (var s = y * per_row(); s < y * per_row() + count[y]; s++) {
        let root = atomicLoad(&parent[s]);
        paint(y, s, 1u + (root / per_row()) * p.w + runs[2u * root]);
    }
}
