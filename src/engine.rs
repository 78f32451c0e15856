//! The two places the stages run: the CPU twins on host memory, or the WGSL kernels on a GPU
//! device. The pipeline is written once against this trait.

use crate::cleanup::{components, morphology, outline, threshold, upsample};
use crate::diff::{align, blur, drift, register, resample, score, warp};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::pixels::Grid;
use std::borrow::Cow;

pub(crate) trait Engine {
    /// One word per pixel (an RGBA8 image, a score or a mask; the score is followed by the
    /// paint's strength per pixel), where the engine keeps it; on the host it may borrow the
    /// caller's pixels for `'a`.
    type Buf<'a>;
    fn name(&self) -> String;
    /// The most pixels one buffer may hold.
    fn max_pixels(&self) -> usize;
    /// Kernel dispatches and readbacks so far, on a GPU.
    fn counts(&self) -> Option<(u32, u32)> {
        None
    }
    fn upload<'a>(&self, words: Cow<'a, [u32]>) -> Self::Buf<'a>;
    /// The buffer's first `n` words on the host (the buffer is not needed any more).
    async fn download(&self, buf: Self::Buf<'_>, n: usize) -> Result<Vec<u32>>;
    /// Two buffers' first `na` and `nb` words: one after the other here, in one readback on a
    /// GPU.
    async fn download_both(
        &self,
        (a, na): (Self::Buf<'_>, usize),
        (b, nb): (Self::Buf<'_>, usize),
    ) -> Result<(Vec<u32>, Vec<u32>)> {
        Ok((self.download(a, na).await?, self.download(b, nb).await?))
    }
    fn resample<'a>(&self, src: &Self::Buf<'a>, from: Grid, to: Grid) -> Self::Buf<'a>;
    /// Stage 1 through a fitted frame: the edit `src` on its own grid `from`, through `map`, onto
    /// the `original`'s grid `to` (`warp::cpu`).
    fn warp<'a>(
        &self,
        src: &Self::Buf<'a>,
        from: Grid,
        original: &Self::Buf<'a>,
        to: Grid,
        map: &register::Map,
        drift: &drift::Drift,
    ) -> Self::Buf<'a>;
    /// Stage 1b: onto the detection grid, a whole factor smaller, read moved by `shift`
    /// (`resample::shrink_cpu`).
    fn shrink<'a>(
        &self,
        src: &Self::Buf<'a>,
        from: Grid,
        to: Grid,
        shift: (i32, i32),
    ) -> Self::Buf<'a>;
    /// Stages 2a and 2b: the drift from `estimate` (on the host), both pictures blurred, the
    /// drift applied to the original's blur. The CPU blurs both while the drift is
    /// estimated, then applies it.
    fn blur_pair<'a>(
        &self,
        original: &Self::Buf<'a>,
        edited: &Self::Buf<'a>,
        grid: Grid,
        sigma: f32,
        estimate: impl FnOnce() -> drift::Drift + Send,
    ) -> (drift::Drift, Self::Buf<'a>, Self::Buf<'a>);
    /// Stage 2a for one picture: the edit shrunk again, aligned (`blur::cpu`).
    fn blur<'a>(&self, src: &Self::Buf<'a>, grid: Grid, sigma: f32) -> Self::Buf<'a>;
    fn drift<'a>(&self, src: &Self::Buf<'a>, grid: Grid, drift: &drift::Drift) -> Self::Buf<'a>;
    /// Shift costs; with a `drift`, the original is compared drift-corrected.
    async fn align<'a>(
        &self,
        original: &Self::Buf<'a>,
        edited: &Self::Buf<'a>,
        grid: Grid,
        search: &align::Search,
        drift: Option<&drift::Drift>,
    ) -> Result<Vec<u32>>;
    /// Stage 3: the score per pixel, then the paint's strength per pixel (`score::cpu`).
    fn score<'a>(
        &self,
        blurred: score::Pair<'_, Self::Buf<'a>>,
        sharp: score::Pair<'_, Self::Buf<'a>>,
        grid: Grid,
        scoring: &score::Scoring,
    ) -> Self::Buf<'a>;
    /// The buffer's first `n` words on the host, the buffer kept.
    async fn read<'a>(&self, buf: &Self::Buf<'a>, n: usize) -> Result<Vec<u32>>;
    /// The mask from here to the components is packed bits (`cleanup::bits`); the components
    /// give back a word a pixel.
    fn binarize<'a>(&self, score: &Self::Buf<'a>, grid: Grid, t: u8) -> Self::Buf<'a>;
    fn open_close<'a>(
        &self,
        mask: &Self::Buf<'a>,
        grid: Grid,
        open: u32,
        close: u32,
    ) -> Self::Buf<'a>;
    fn components<'a>(
        &self,
        mask: &Self::Buf<'a>,
        grid: Grid,
        selection: &components::Selection,
    ) -> Self::Buf<'a>;
    /// Stage 5c: the cleaned mask (0/1) on `detect`'s grid, its outline placed again at the
    /// paint's half-strength line, on `fine`'s grid as bytes (255 inside), four pixels a word.
    /// `score`: stage 3's output, whose second half is the paint's strength per pixel.
    fn outline<'a>(
        &self,
        mask: &Self::Buf<'a>,
        score: &Self::Buf<'a>,
        band: outline::Band,
        detect: outline::Sharp<'_, Self::Buf<'a>>,
        fine: outline::Sharp<'_, Self::Buf<'a>>,
    ) -> Self::Buf<'a>;
    /// Stage 7: a mask (0/255 a word) on the `small` grid of `guide` brought to `picture`'s
    /// `full` grid along the picture's edges.
    fn upsample<'a>(
        &self,
        mask: &Self::Buf<'a>,
        guide: &Self::Buf<'a>,
        small: Grid,
        picture: &Self::Buf<'a>,
        full: Grid,
    ) -> Self::Buf<'a>;
}

/// The CPU twins.
pub struct Cpu;

impl Engine for Cpu {
    type Buf<'a> = Cow<'a, [u32]>;
    fn name(&self) -> String {
        "cpu".into()
    }
    fn max_pixels(&self) -> usize {
        usize::MAX
    }
    fn upload<'a>(&self, words: Cow<'a, [u32]>) -> Self::Buf<'a> {
        words
    }
    async fn download(&self, buf: Self::Buf<'_>, n: usize) -> Result<Vec<u32>> {
        let mut words = buf.into_owned();
        words.truncate(n);
        Ok(words)
    }
    fn resample<'a>(&self, src: &Self::Buf<'a>, from: Grid, to: Grid) -> Self::Buf<'a> {
        resample::cpu(src, from, to).into()
    }
    fn warp<'a>(
        &self,
        src: &Self::Buf<'a>,
        from: Grid,
        original: &Self::Buf<'a>,
        to: Grid,
        map: &register::Map,
        drift: &drift::Drift,
    ) -> Self::Buf<'a> {
        warp::cpu(src, from, original, to, map, drift).into()
    }
    fn shrink<'a>(
        &self,
        src: &Self::Buf<'a>,
        from: Grid,
        to: Grid,
        shift: (i32, i32),
    ) -> Self::Buf<'a> {
        resample::shrink_cpu(src, from, to, shift).into()
    }
    fn blur_pair<'a>(
        &self,
        o: &Self::Buf<'a>,
        e: &Self::Buf<'a>,
        grid: Grid,
        sigma: f32,
        estimate: impl FnOnce() -> drift::Drift + Send,
    ) -> (drift::Drift, Self::Buf<'a>, Self::Buf<'a>) {
        let (d, o, e) = blur::pair_estimated_cpu(o, e, grid, sigma, estimate);
        (d, o.into(), e.into())
    }
    fn blur<'a>(&self, src: &Self::Buf<'a>, grid: Grid, sigma: f32) -> Self::Buf<'a> {
        blur::cpu(src, grid, sigma).into()
    }
    fn drift<'a>(&self, src: &Self::Buf<'a>, grid: Grid, d: &drift::Drift) -> Self::Buf<'a> {
        drift::cpu(src, grid, d).into()
    }
    async fn align<'a>(
        &self,
        o: &Self::Buf<'a>,
        e: &Self::Buf<'a>,
        grid: Grid,
        search: &align::Search,
        d: Option<&drift::Drift>,
    ) -> Result<Vec<u32>> {
        Ok(align::cpu(o, e, grid, search, d))
    }
    fn score<'a>(
        &self,
        blurred: score::Pair<'_, Self::Buf<'a>>,
        sharp: score::Pair<'_, Self::Buf<'a>>,
        grid: Grid,
        scoring: &score::Scoring,
    ) -> Self::Buf<'a> {
        score::cpu(blurred, sharp, grid, scoring).into()
    }
    async fn read<'a>(&self, buf: &Self::Buf<'a>, n: usize) -> Result<Vec<u32>> {
        Ok(buf[..n].to_vec())
    }
    fn binarize<'a>(&self, s: &Self::Buf<'a>, grid: Grid, t: u8) -> Self::Buf<'a> {
        threshold::binarize_cpu(s, grid, t).into()
    }
    fn open_close<'a>(
        &self,
        mask: &Self::Buf<'a>,
        grid: Grid,
        open: u32,
        close: u32,
    ) -> Self::Buf<'a> {
        morphology::open_close_cpu(mask, grid, open, close).into()
    }
    fn outline<'a>(
        &self,
        mask: &Self::Buf<'a>,
        score: &Self::Buf<'a>,
        band: outline::Band,
        detect: outline::Sharp<'_, Self::Buf<'a>>,
        fine: outline::Sharp<'_, Self::Buf<'a>>,
    ) -> Self::Buf<'a> {
        let n = detect.grid.len();
        outline::cpu(mask, &score[n..2 * n], band, detect, fine).into()
    }
    fn upsample<'a>(
        &self,
        mask: &Self::Buf<'a>,
        guide: &Self::Buf<'a>,
        small: Grid,
        picture: &Self::Buf<'a>,
        full: Grid,
    ) -> Self::Buf<'a> {
        let bytes: Vec<u8> = mask.iter().map(|&w| w as u8).collect();
        upsample::cpu(&bytes, guide, small, picture, full)
            .into_iter()
            .map(u32::from)
            .collect::<Vec<_>>()
            .into()
    }
    fn components<'a>(
        &self,
        mask: &Self::Buf<'a>,
        grid: Grid,
        selection: &components::Selection,
    ) -> Self::Buf<'a> {
        components::cpu(mask, grid, selection).into()
    }
}

impl Engine for Gpu {
    type Buf<'a> = wgpu::Buffer;
    fn name(&self) -> String {
        format!("gpu: {}", self.adapter)
    }
    fn max_pixels(&self) -> usize {
        (self.max_binding / 4) as usize
    }
    fn counts(&self) -> Option<(u32, u32)> {
        Some(Gpu::counts(self))
    }
    fn upload<'a>(&self, words: Cow<'a, [u32]>) -> Self::Buf<'a> {
        Gpu::upload(self, &words)
    }
    async fn download(&self, buf: Self::Buf<'_>, n: usize) -> Result<Vec<u32>> {
        self.read(&buf, n).await
    }
    async fn download_both(
        &self,
        (a, na): (Self::Buf<'_>, usize),
        (b, nb): (Self::Buf<'_>, usize),
    ) -> Result<(Vec<u32>, Vec<u32>)> {
        let mut both = self.read_all(&[(&a, na), (&b, nb)]).await?;
        let b = both.pop().expect("two parts");
        Ok((both.pop().expect("two parts"), b))
    }
    fn resample<'a>(&self, src: &Self::Buf<'a>, from: Grid, to: Grid) -> Self::Buf<'a> {
        resample::gpu(self, src, from, to)
    }
    fn warp<'a>(
        &self,
        src: &Self::Buf<'a>,
        from: Grid,
        original: &Self::Buf<'a>,
        to: Grid,
        map: &register::Map,
        drift: &drift::Drift,
    ) -> Self::Buf<'a> {
        warp::gpu(self, src, from, original, to, map, drift)
    }
    fn shrink<'a>(
        &self,
        src: &Self::Buf<'a>,
        from: Grid,
        to: Grid,
        shift: (i32, i32),
    ) -> Self::Buf<'a> {
        resample::shrink_gpu(self, src, from, to, shift)
    }
    fn blur_pair<'a>(
        &self,
        o: &Self::Buf<'a>,
        e: &Self::Buf<'a>,
        grid: Grid,
        sigma: f32,
        estimate: impl FnOnce() -> drift::Drift + Send,
    ) -> (drift::Drift, Self::Buf<'a>, Self::Buf<'a>) {
        let d = estimate();
        let (o, e) = blur::pair_gpu(self, o, e, grid, sigma, &d);
        (d, o, e)
    }
    fn blur<'a>(&self, src: &Self::Buf<'a>, grid: Grid, sigma: f32) -> Self::Buf<'a> {
        blur::gpu(self, src, grid, sigma)
    }
    fn drift<'a>(&self, src: &Self::Buf<'a>, grid: Grid, d: &drift::Drift) -> Self::Buf<'a> {
        drift::gpu(self, src, grid, d)
    }
    async fn align<'a>(
        &self,
        o: &Self::Buf<'a>,
        e: &Self::Buf<'a>,
        grid: Grid,
        search: &align::Search,
        d: Option<&drift::Drift>,
    ) -> Result<Vec<u32>> {
        align::gpu(self, o, e, grid, search, d).await
    }
    fn score<'a>(
        &self,
        blurred: score::Pair<'_, Self::Buf<'a>>,
        sharp: score::Pair<'_, Self::Buf<'a>>,
        grid: Grid,
        scoring: &score::Scoring,
    ) -> Self::Buf<'a> {
        score::gpu(self, blurred, sharp, grid, scoring)
    }
    async fn read<'a>(&self, buf: &Self::Buf<'a>, n: usize) -> Result<Vec<u32>> {
        Gpu::read(self, buf, n).await
    }
    fn binarize<'a>(&self, s: &Self::Buf<'a>, grid: Grid, t: u8) -> Self::Buf<'a> {
        threshold::binarize_gpu(self, s, grid, t)
    }
    fn open_close<'a>(
        &self,
        mask: &Self::Buf<'a>,
        grid: Grid,
        open: u32,
        close: u32,
    ) -> Self::Buf<'a> {
        morphology::open_close_gpu(self, mask, grid, open, close)
    }
    fn outline<'a>(
        &self,
        mask: &Self::Buf<'a>,
        score: &Self::Buf<'a>,
        band: outline::Band,
        detect: outline::Sharp<'_, Self::Buf<'a>>,
        fine: outline::Sharp<'_, Self::Buf<'a>>,
    ) -> Self::Buf<'a> {
        outline::gpu(self, mask, score, band, detect, fine)
    }
    fn upsample<'a>(
        &self,
        mask: &Self::Buf<'a>,
        guide: &Self::Buf<'a>,
        small: Grid,
        picture: &Self::Buf<'a>,
        full: Grid,
    ) -> Self::Buf<'a> {
        upsample::gpu(self, mask, guide, small, picture, full)
    }
    fn components<'a>(
        &self,
        mask: &Self::Buf<'a>,
        grid: Grid,
        selection: &components::Selection,
    ) -> Self::Buf<'a> {
        components::gpu(self, mask, grid, selection)
    }
}
