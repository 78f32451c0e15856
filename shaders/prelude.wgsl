// Put before every kernel: per-item kernels run 256 invocations a workgroup on a 2-D grid of
// workgroups (see Gpu::run_items), and this recovers the item an invocation works on.
fn item_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 256u;
}

