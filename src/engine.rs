//! The two places the stages run: the CPU twins on host memory, or the WGSL kernels on a GPU
//! device. The pipeline is written once against this trait.

use crate::cleanup::{components, edge, morphology, threshold, upsample};
use crate::diff::{align, blur, drift, resample, score};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::pixels::Grid;

pub(crate) trait Engine {
    /// One word per pixel (an RGBA8 image, a score or a mask), where the engine keeps it.
    type Buf;
    fn name(&self) -> String;
    /// The most pixels one buffer may hold.
    fn max_pixels(&self) -> usize;
    /// Kernel dispatches and readbacks so far, on a GPU.
    fn counts(&self) -> Option<(u32, u32)> {
        None
    }
    fn upload(&self, words: Vec<u32>) -> Self::Buf;
    /// The buffer's first `n` words on the host (the buffer is not needed any more).
    async fn download(&self, buf: Self::Buf, n: usize) -> Result<Vec<u32>>;
    fn resample(&self, src: &Self::Buf, from: Grid, to: Grid) -> Self::Buf;
    fn blur(&self, src: &Self::Buf, grid: Grid, sigma: f32) -> Self::Buf;
    fn drift(&self, src: &Self::Buf, grid: Grid, drift: &drift::Drift) -> Self::Buf;
    /// Shift costs; with a `drift`, the original is compared drift-corrected.
    async fn align(
        &self,
        original: &Self::Buf,
        edited: &Self::Buf,
        grid: Grid,
        search: &align::Search,
        drift: Option<&drift::Drift>,
    ) -> Result<Vec<u32>>;
    fn score(
        &self,
        blurred: score::Pair<Self::Buf>,
        sharp: score::Pair<Self::Buf>,
        grid: Grid,
        scoring: &score::Scoring,
    ) -> Self::Buf;
    async fn histogram(&self, score: &Self::Buf, n: usize) -> Result<threshold::Histogram>;
    fn binarize(&self, score: &Self::Buf, n: usize, t: u8) -> Self::Buf;
    fn open_close(&self, mask: &Self::Buf, grid: Grid, open: u32, close: u32) -> Self::Buf;
    async fn components(
        &self,
        mask: &Self::Buf,
        grid: Grid,
        selection: &components::Selection,
    ) -> Result<Self::Buf>;
    /// Stage 5c: the cleaned mask (0/1) on `detect`'s grid, its outline placed again at the
    /// paint's half-strength line, on `fine`'s grid.
    fn outline(
        &self,
        mask: &Self::Buf,
        band: edge::Band,
        detect: edge::Sharp<Self::Buf>,
        fine: edge::Sharp<Self::Buf>,
    ) -> Self::Buf;
    /// Stage 7: a mask (0/255 a word) on the `small` grid of `guide` brought to `picture`'s
    /// `full` grid along the picture's edges.
    fn upsample(
        &self,
        mask: &Self::Buf,
        guide: &Self::Buf,
        small: Grid,
        picture: &Self::Buf,
        full: Grid,
    ) -> Self::Buf;
}

/// The CPU twins.
pub struct Cpu;

impl Engine for Cpu {
    type Buf = Vec<u32>;
    fn name(&self) -> String {
        "cpu".into()
    }
    fn max_pixels(&self) -> usize {
        usize::MAX
    }
    fn upload(&self, words: Vec<u32>) -> Vec<u32> {
        words
    }
    async fn download(&self, mut buf: Vec<u32>, n: usize) -> Result<Vec<u32>> {
        buf.truncate(n);
        Ok(buf)
    }
    fn resample(&self, src: &Vec<u32>, from: Grid, to: Grid) -> Vec<u32> {
        resample::cpu(src, from, to)
    }
    fn blur(&self, src: &Vec<u32>, grid: Grid, sigma: f32) -> Vec<u32> {
        blur::cpu(src, grid, sigma)
    }
    fn drift(&self, src: &Vec<u32>, grid: Grid, d: &drift::Drift) -> Vec<u32> {
        drift::cpu(src, grid, d)
    }
    async fn align(
        &self,
        o: &Vec<u32>,
        e: &Vec<u32>,
        grid: Grid,
        search: &align::Search,
        d: Option<&drift::Drift>,
    ) -> Result<Vec<u32>> {
        Ok(align::cpu(o, e, grid, search, d))
    }
    fn score(
        &self,
        blurred: score::Pair<Vec<u32>>,
        sharp: score::Pair<Vec<u32>>,
        grid: Grid,
        scoring: &score::Scoring,
    ) -> Vec<u32> {
        score::cpu(blurred, sharp, grid, scoring)
    }
    async fn histogram(&self, s: &Vec<u32>, _n: usize) -> Result<threshold::Histogram> {
        Ok(threshold::histogram_cpu(s))
    }
    fn binarize(&self, s: &Vec<u32>, _n: usize, t: u8) -> Vec<u32> {
        threshold::binarize_cpu(s, t)
    }
    fn open_close(&self, mask: &Vec<u32>, grid: Grid, open: u32, close: u32) -> Vec<u32> {
        morphology::open_close_cpu(mask, grid, open, close)
    }
    fn outline(
        &self,
        mask: &Vec<u32>,
        band: edge::Band,
        detect: edge::Sharp<Vec<u32>>,
        fine: edge::Sharp<Vec<u32>>,
    ) -> Vec<u32> {
        edge::cpu(mask, band, detect, fine)
    }
    fn upsample(
        &self,
        mask: &Vec<u32>,
        guide: &Vec<u32>,
        small: Grid,
        picture: &Vec<u32>,
        full: Grid,
    ) -> Vec<u32> {
        let bytes: Vec<u8> = mask.iter().map(|&w| w as u8).collect();
        upsample::cpu(&bytes, guide, small, picture, full)
            .into_iter()
            .map(u32::from)
            .collect()
    }
    async fn components(
        &self,
        mask: &Vec<u32>,
        grid: Grid,
        selection: &components::Selection,
    ) -> Result<Vec<u32>> {
        Ok(components::cpu(mask, grid, selection))
    }
}

impl Engine for Gpu {
    type Buf = wgpu::Buffer;
    fn name(&self) -> String {
        format!("gpu: {}", self.adapter)
    }
    fn max_pixels(&self) -> usize {
        (self.max_binding / 4) as usize
    }
    fn counts(&self) -> Option<(u32, u32)> {
        Some(Gpu::counts(self))
    }
    fn upload(&self, words: Vec<u32>) -> wgpu::Buffer {
        Gpu::upload(self, &words)
    }
    async fn download(&self, buf: wgpu::Buffer, n: usize) -> Result<Vec<u32>> {
        self.read(&buf, n).await
    }
    fn resample(&self, src: &wgpu::Buffer, from: Grid, to: Grid) -> wgpu::Buffer {
        resample::gpu(self, src, from, to)
    }
    fn blur(&self, src: &wgpu::Buffer, grid: Grid, sigma: f32) -> wgpu::Buffer {
        blur::gpu(self, src, grid, sigma)
    }
    fn drift(&self, src: &wgpu::Buffer, grid: Grid, d: &drift::Drift) -> wgpu::Buffer {
        drift::gpu(self, src, grid, d)
    }
    async fn align(
        &self,
        o: &wgpu::Buffer,
        e: &wgpu::Buffer,
        grid: Grid,
        search: &align::Search,
        d: Option<&drift::Drift>,
    ) -> Result<Vec<u32>> {
        align::gpu(self, o, e, grid, search, d).await
    }
    fn score(
        &self,
        blurred: score::Pair<wgpu::Buffer>,
        sharp: score::Pair<wgpu::Buffer>,
        grid: Grid,
        scoring: &score::Scoring,
    ) -> wgpu::Buffer {
        score::gpu(self, blurred, sharp, grid, scoring)
    }
    async fn histogram(&self, s: &wgpu::Buffer, n: usize) -> Result<threshold::Histogram> {
        threshold::histogram_gpu(self, s, n).await
    }
    fn binarize(&self, s: &wgpu::Buffer, n: usize, t: u8) -> wgpu::Buffer {
        threshold::binarize_gpu(self, s, n, t)
    }
    fn open_close(&self, mask: &wgpu::Buffer, grid: Grid, open: u32, close: u32) -> wgpu::Buffer {
        morphology::open_close_gpu(self, mask, grid, open, close)
    }
    fn outline(
        &self,
        mask: &wgpu::Buffer,
        band: edge::Band,
        detect: edge::Sharp<wgpu::Buffer>,
        fine: edge::Sharp<wgpu::Buffer>,
    ) -> wgpu::Buffer {
        edge::gpu(self, mask, band, detect, fine)
    }
    fn upsample(
        &self,
        mask: &wgpu::Buffer,
        guide: &wgpu::Buffer,
        small: Grid,
        picture: &wgpu::Buffer,
        full: Grid,
    ) -> wgpu::Buffer {
        upsample::gpu(self, mask, guide, small, picture, full)
    }
    async fn components(
        &self,
        mask: &wgpu::Buffer,
        grid: Grid,
        selection: &components::Selection,
    ) -> Result<wgpu::Buffer> {
        components::gpu(self, mask, grid, selection).await
    }
}
