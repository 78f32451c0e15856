//! Perception: a small fully convolutional net that says, for every pixel of a picture, which
//! category of object is there (or background), what colour and size class that object is, and
//! where its centre lies. It reads no words: what the sentence asks for is worked out afterwards
//! by [`super::program`] over the objects these maps describe, so every pixel of every object in
//! a training picture teaches the net something (not only the one object a sentence names).

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{GroupNorm, GroupNormConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::{gelu, softmax};

use crate::scenes::{Category, COLOURS};

/// Background plus the RefScenes categories.
pub const CATEGORIES: usize = Category::ALL.len() + 1;
pub const COLOUR_CLASSES: usize = COLOURS.len();
pub const SIZE_CLASSES: usize = 3;
/// Output channels: category logits, colour logits, size logits, centre offset (x, y).
pub const CHANNELS: usize = CATEGORIES + COLOUR_CLASSES + SIZE_CLASSES + 2;
/// Centre offsets are predicted in units of this many pixels.
pub const OFFSET_UNIT: f32 = 8.0;

const WIDTHS: [usize; 4] = [16, 32, 64, 96];

/// conv 3x3 -> group norm -> GELU.
#[derive(Module, Debug)]
struct Block {
    conv: Conv2d,
    norm: GroupNorm,
}

impl Block {
    fn new(input: usize, output: usize, stride: usize, device: &Device) -> Block {
        Block {
            conv: Conv2dConfig::new([input, output], [3, 3])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device),
            norm: GroupNormConfig::new(8, output).init(device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        gelu(self.norm.forward(self.conv.forward(x)))
    }
}

#[derive(Module, Debug)]
pub struct SceneNet {
    enc0: Block,
    enc0b: Block,
    enc1: Block,
    enc1b: Block,
    enc2: Block,
    enc2b: Block,
    enc3: Block,
    enc3b: Block,
    enc3c: Block,
    up2: ConvTranspose2d,
    dec2: Block,
    up1: ConvTranspose2d,
    dec1: Block,
    up0: ConvTranspose2d,
    dec0: Block,
    head: Conv2d,
}

/// x and y in [-1, 1] as two channels, for a batch of `b` pictures of `h` x `w`.
pub fn coordinates(b: usize, h: usize, w: usize, device: &Device) -> Tensor<4> {
    let mut data = Vec::with_capacity(2 * h * w);
    data.extend((0..h * w).map(|i| ((i % w) as f32 + 0.5) / w as f32 * 2.0 - 1.0));
    data.extend((0..h * w).map(|i| ((i / w) as f32 + 0.5) / h as f32 * 2.0 - 1.0));
    Tensor::<4>::from_data(TensorData::new(data, [1, 2, h, w]), device).repeat_dim(0, b)
}

/// A 2x upsampling by a learnt 2x2 transposed convolution.
pub fn up(input: usize, output: usize, device: &Device) -> ConvTranspose2d {
    ConvTranspose2dConfig::new([input, output], [2, 2])
        .with_stride([2, 2])
        .init(device)
}

impl SceneNet {
    pub fn new(device: &Device) -> SceneNet {
        let [w0, w1, w2, w3] = WIDTHS;
        SceneNet {
            enc0: Block::new(5, w0, 1, device),
            enc0b: Block::new(w0, w0, 1, device),
            enc1: Block::new(w0, w1, 2, device),
            enc1b: Block::new(w1, w1, 1, device),
            enc2: Block::new(w1, w2, 2, device),
            enc2b: Block::new(w2, w2, 1, device),
            enc3: Block::new(w2 + 2, w3, 2, device),
            enc3b: Block::new(w3, w3, 1, device),
            enc3c: Block::new(w3, w3, 1, device),
            up2: up(w3, w2, device),
            dec2: Block::new(2 * w2, w2, 1, device),
            up1: up(w2, w1, device),
            dec1: Block::new(2 * w1, w1, 1, device),
            up0: up(w1, w0, device),
            dec0: Block::new(2 * w0, w0, 1, device),
            head: Conv2dConfig::new([w0, CHANNELS], [1, 1]).init(device),
        }
    }

    /// `image` [B, 3, H, W] in [0, 1] (H and W multiples of 8) -> raw maps [B, CHANNELS, H, W].
    pub fn forward(&self, image: Tensor<4>) -> Tensor<4> {
        let [b, _, h, w] = image.dims();
        let device = image.device();
        let input = Tensor::cat(
            vec![image.sub_scalar(0.5), coordinates(b, h, w, &device)],
            1,
        );
        let s0 = self.enc0b.forward(self.enc0.forward(input));
        let s1 = self.enc1b.forward(self.enc1.forward(s0.clone()));
        let s2 = self.enc2b.forward(self.enc2.forward(s1.clone()));
        let s2c = Tensor::cat(vec![s2.clone(), coordinates(b, h / 4, w / 4, &device)], 1);
        let x = self
            .enc3c
            .forward(self.enc3b.forward(self.enc3.forward(s2c)));
        let x = self
            .dec2
            .forward(Tensor::cat(vec![self.up2.forward(x), s2], 1));
        let x = self
            .dec1
            .forward(Tensor::cat(vec![self.up1.forward(x), s1], 1));
        let x = self
            .dec0
            .forward(Tensor::cat(vec![self.up0.forward(x), s0], 1));
        self.head.forward(x)
    }

    /// The maps as probabilities (softmax per group) and offsets, ready to read back.
    pub fn perceive(&self, image: Tensor<4>) -> Tensor<4> {
        let raw = self.forward(image);
        let [b, _, h, w] = raw.dims();
        let groups = [CATEGORIES, COLOUR_CLASSES, SIZE_CLASSES];
        let mut parts = Vec::new();
        let mut at = 0;
        for n in groups {
            parts.push(softmax(
                raw.clone().slice([0..b, at..at + n, 0..h, 0..w]),
                1,
            ));
            at += n;
        }
        parts.push(raw.slice([0..b, at..at + 2, 0..h, 0..w]));
        Tensor::cat(parts, 1)
    }
}
