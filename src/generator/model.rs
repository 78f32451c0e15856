//! The generator network: a small text-conditioned image-to-image net. The picture (with two
//! coordinate channels, so that "left" and "top" can be learnt) goes down a convolutional
//! encoder to 8x8; the words reach every scale through FiLM (a per-channel scale and shift from
//! the sentence and the paint colour), and at 8x8 every position attends to the words and then to
//! every other position, which is where "left of the blue square" gets resolved. The decoder
//! comes back up with skip connections and predicts a change that is added to the input, so an
//! edit that leaves most pixels alone is the easy thing to learn.

use crate::painter::perceive::{coordinates, up};
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d};
use burn::nn::{
    Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig, PaddingConfig2d,
};
use burn::prelude::*;
use burn::tensor::activation::{gelu, softmax};

/// Tokens per expression the model reads; longer ones are cut.
pub const MAX_TOKENS: usize = 20;
const TEXT: usize = 64;
const COND: usize = 128;
const WIDTHS: [usize; 3] = [24, 48, 96];

/// Attention of queries `x` to a context, with a residual connection.
#[derive(Module, Debug)]
struct Attend {
    norm: LayerNorm,
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
}

impl Attend {
    fn new(dim: usize, context: usize, device: &Device) -> Attend {
        Attend {
            norm: LayerNormConfig::new(dim).init(device),
            q: LinearConfig::new(dim, dim).init(device),
            k: LinearConfig::new(context, dim).init(device),
            v: LinearConfig::new(context, dim).init(device),
            out: LinearConfig::new(dim, dim).init(device),
        }
    }

    /// `x` [B, N, dim], `context` [B, L, context] (None: attend to `x` itself), `keep` [B, L]
    /// with 1 for real tokens and 0 for padding.
    fn forward(
        &self,
        x: Tensor<3>,
        context: Option<Tensor<3>>,
        keep: Option<Tensor<2>>,
    ) -> Tensor<3> {
        let h = self.norm.forward(x.clone());
        let context = context.unwrap_or_else(|| h.clone());
        let q = self.q.forward(h);
        let k = self.k.forward(context.clone());
        let v = self.v.forward(context);
        let scale = (q.dims()[2] as f64).sqrt();
        let mut scores = q.matmul(k.swap_dims(1, 2)).div_scalar(scale);
        if let Some(keep) = keep {
            scores = scores + keep.unsqueeze_dim::<3>(1).sub_scalar(1.0).mul_scalar(1e4);
        }
        x + self.out.forward(softmax(scores, 2).matmul(v))
    }
}

/// Position-wise two-layer MLP with a residual connection.
#[derive(Module, Debug)]
struct FeedForward {
    norm: LayerNorm,
    up: Linear,
    down: Linear,
}

impl FeedForward {
    fn new(dim: usize, device: &Device) -> FeedForward {
        FeedForward {
            norm: LayerNormConfig::new(dim).init(device),
            up: LinearConfig::new(dim, 2 * dim).init(device),
            down: LinearConfig::new(2 * dim, dim).init(device),
        }
    }

    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        x.clone()
            + self
                .down
                .forward(gelu(self.up.forward(self.norm.forward(x))))
    }
}

/// A 3x3 convolution whose output is scaled and shifted per channel by the condition.
#[derive(Module, Debug)]
struct FilmConv {
    conv: Conv2d,
    film: Linear,
}

impl FilmConv {
    fn new(input: usize, output: usize, stride: usize, device: &Device) -> FilmConv {
        FilmConv {
            conv: Conv2dConfig::new([input, output], [3, 3])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device),
            film: LinearConfig::new(COND, 2 * output).init(device),
        }
    }

    fn forward(&self, x: Tensor<4>, cond: &Tensor<2>) -> Tensor<4> {
        let y = self.conv.forward(x);
        let [b, c, _, _] = y.dims();
        let gb = self.film.forward(cond.clone());
        let gamma = gb.clone().slice([0..b, 0..c]).reshape([b, c, 1, 1]);
        let beta = gb.slice([0..b, c..2 * c]).reshape([b, c, 1, 1]);
        gelu(y.clone() * gamma.add_scalar(1.0) + beta)
    }
}

/// Where the network looks at 8x8: words first, then the other positions.
#[derive(Module, Debug)]
struct Reason {
    words: Attend,
    places: Attend,
    ff: FeedForward,
}

#[derive(Module, Debug)]
pub struct GeneratorNet {
    embed: Embedding,
    position: Embedding,
    text_attend: Attend,
    text_ff: FeedForward,
    colour: Linear,
    cond: Linear,
    stem: FilmConv,
    stem2: FilmConv,
    down2: FilmConv,
    down2b: FilmConv,
    down3: FilmConv,
    reason: Vec<Reason>,
    up2: ConvTranspose2d,
    merge2: FilmConv,
    up1: ConvTranspose2d,
    merge1: FilmConv,
    up0: ConvTranspose2d,
    merge0: Conv2d,
    head: Conv2d,
}

fn conv3(input: usize, output: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([input, output], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(device)
}

impl GeneratorNet {
    /// A freshly initialised network for a vocabulary of `words` ids (padding and unknown
    /// included).
    pub fn new(words: usize, device: &Device) -> GeneratorNet {
        let [w1, w2, w3] = WIDTHS;
        GeneratorNet {
            embed: EmbeddingConfig::new(words, TEXT).init(device),
            position: EmbeddingConfig::new(MAX_TOKENS, TEXT).init(device),
            text_attend: Attend::new(TEXT, TEXT, device),
            text_ff: FeedForward::new(TEXT, device),
            colour: LinearConfig::new(3, TEXT).init(device),
            cond: LinearConfig::new(2 * TEXT, COND).init(device),
            stem: FilmConv::new(5, w1, 2, device),
            stem2: FilmConv::new(w1, w1, 1, device),
            down2: FilmConv::new(w1, w2, 2, device),
            down2b: FilmConv::new(w2, w2, 1, device),
            down3: FilmConv::new(w2 + 2, w3, 2, device),
            reason: (0..2)
                .map(|_| Reason {
                    words: Attend::new(w3, TEXT, device),
                    places: Attend::new(w3, w3, device),
                    ff: FeedForward::new(w3, device),
                })
                .collect(),
            up2: up(w3, w2, device),
            merge2: FilmConv::new(2 * w2, w2, 1, device),
            up1: up(w2, w1, device),
            merge1: FilmConv::new(2 * w1, w1, 1, device),
            up0: up(w1, 16, device),
            merge0: conv3(16 + 5, 16, device),
            head: conv3(16, 3, device),
        }
    }

    /// `image` [B, 3, H, W] in [0, 1] (H and W multiples of 8), `tokens` [B, MAX_TOKENS] ids,
    /// `keep` [B, MAX_TOKENS] 1 for words and 0 for padding, `paint` [B, 3] in [0, 1].
    /// Returns the edited picture [B, 3, H, W] (not clamped).
    pub fn forward(
        &self,
        image: Tensor<4>,
        tokens: Tensor<2, Int>,
        keep: Tensor<2>,
        paint: Tensor<2>,
    ) -> Tensor<4> {
        let [b, _, h, w] = image.dims();
        let device = image.device();
        // The sentence: word + position embeddings, one self-attention block, a masked mean.
        let positions = Tensor::<1, Int>::arange(0..MAX_TOKENS as i64, &device)
            .unsqueeze_dim::<2>(0)
            .repeat_dim(0, b);
        let words = self.embed.forward(tokens) + self.position.forward(positions);
        let words = self
            .text_ff
            .forward(self.text_attend.forward(words, None, Some(keep.clone())));
        let weights = keep.clone().unsqueeze_dim::<3>(2);
        let count = keep.clone().sum_dim(1).clamp_min(1.0);
        let sentence = (words.clone() * weights).sum_dim(1).reshape([b, TEXT]) / count;
        let cond = gelu(
            self.cond
                .forward(Tensor::cat(vec![sentence, self.colour.forward(paint)], 1)),
        );

        let centred = image.clone().sub_scalar(0.5);
        let input = Tensor::cat(vec![centred, coordinates(b, h, w, &device)], 1);
        let s1 = self
            .stem2
            .forward(self.stem.forward(input.clone(), &cond), &cond);
        let s2 = self
            .down2b
            .forward(self.down2.forward(s1.clone(), &cond), &cond);
        let s2c = Tensor::cat(vec![s2.clone(), coordinates(b, h / 4, w / 4, &device)], 1);
        let x = self.down3.forward(s2c, &cond);
        let [_, c3, h3, w3] = x.dims();
        let mut flat = x.reshape([b, c3, h3 * w3]).swap_dims(1, 2);
        for r in &self.reason {
            flat = r
                .words
                .forward(flat, Some(words.clone()), Some(keep.clone()));
            flat = r.ff.forward(r.places.forward(flat, None, None));
        }
        let x = flat.swap_dims(1, 2).reshape([b, c3, h3, w3]);
        let x = self
            .merge2
            .forward(Tensor::cat(vec![self.up2.forward(x), s2], 1), &cond);
        let x = self
            .merge1
            .forward(Tensor::cat(vec![self.up1.forward(x), s1], 1), &cond);
        let x = gelu(
            self.merge0
                .forward(Tensor::cat(vec![self.up0.forward(x), input], 1)),
        );
        image + self.head.forward(x)
    }
}
