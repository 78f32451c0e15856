//! The JavaScript API (wasm-bindgen): `EditSeg.create()` once, then `maskFromEdit(original,
//! edited, options)` as often as needed. Each instance owns its own WebGPU device, or the CPU
//! path when the browser has no WebGPU.

use crate::{error::Error, imageio, BackendChoice, Options, Outcome, Segmenter};
use image::RgbaImage;
use js_sys::{Array, Object, Reflect, Uint8Array};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{ImageBitmap, ImageData, OffscreenCanvas, OffscreenCanvasRenderingContext2d};

fn js_error(e: Error) -> JsValue {
    JsError::new(&e.to_string()).into()
}

#[wasm_bindgen]
pub struct EditSeg {
    inner: Rc<Segmenter>,
}

#[wasm_bindgen]
impl EditSeg {
    /// Open a segmenter. `backend` is "auto" (WebGPU where the browser has it, else the CPU),
    /// "gpu" (fail without WebGPU) or "cpu".
    pub async fn create(backend: Option<String>) -> Result<EditSeg, JsValue> {
        console_error_panic_hook::set_once();
        let choice: BackendChoice = backend
            .as_deref()
            .unwrap_or("auto")
            .parse()
            .map_err(js_error)?;
        let inner = Segmenter::new(choice).await.map_err(js_error)?;
        Ok(EditSeg {
            inner: Rc::new(inner),
        })
    }

    /// "cpu", or "gpu: " and the adapter's name.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.inner.backend()
    }

    /// Why the CPU path is used under "auto", when it is.
    #[wasm_bindgen(getter, js_name = fallbackReason)]
    pub fn fallback_reason(&self) -> Option<String> {
        self.inner.fallback.clone()
    }

    /// Release the GPU device now rather than when the object is garbage-collected; later
    /// requests fail with "GPU device lost".
    pub fn destroy(&self) {
        if let Some(g) = self.inner.gpu() {
            g.destroy();
        }
    }

    /// Resolve to `{mask, maskBytes, heat, overlay, stats}`: `mask`, `heat` and `overlay` are
    /// ImageData of the original's size (objects of the same shape where ImageData is missing), `maskBytes` one byte per pixel (255 inside). `original`
    /// and `edited` are ImageData, ImageBitmap, or encoded PNG/JPEG/WebP bytes (Uint8Array or
    /// ArrayBuffer). `options`: {color, threshold, keep: "all"|"largest", seed: [x, y], open,
    /// close, minArea, maxHole, maxShift}.
    #[wasm_bindgen(js_name = maskFromEdit)]
    pub fn mask_from_edit(
        &self,
        original: JsValue,
        edited: JsValue,
        options: JsValue,
    ) -> js_sys::Promise {
        let inner = self.inner.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let options = parse_options(&options).map_err(js_error)?;
            let original = to_image(&original, "original").map_err(js_error)?;
            let edited = to_image(&edited, "edited").map_err(js_error)?;
            let outcome = inner
                .mask_from_edit(&original, &edited, &options)
                .await
                .map_err(js_error)?;
            to_js(outcome)
        })
    }
}

fn kebab(key: &str) -> String {
    key.chars()
        .flat_map(|c| {
            if c.is_ascii_uppercase() {
                vec!['-', c.to_ascii_lowercase()]
            } else {
                vec![c]
            }
        })
        .collect()
}

fn parse_options(value: &JsValue) -> Result<Options, Error> {
    let mut options = Options::default();
    if value.is_undefined() || value.is_null() {
        return Ok(options);
    }
    let object: &Object = value
        .dyn_ref()
        .ok_or_else(|| Error::BadOption("options must be an object".into()))?;
    for entry in Object::entries(object).iter() {
        let pair: Array = entry.unchecked_into();
        let key = pair.get(0).as_string().unwrap_or_default();
        let v = pair.get(1);
        let text = if let Some(s) = v.as_string() {
            s
        } else if let Some(n) = v.as_f64() {
            n.to_string()
        } else if Array::is_array(&v) {
            Array::from(&v)
                .iter()
                .map(|x| x.as_f64().map(|n| n.to_string()).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(",")
        } else {
            return Err(Error::BadOption(format!(
                "{key}: expected a string, a number or [x, y]"
            )));
        };
        options.set(&kebab(&key), &text)?;
    }
    Ok(options)
}

fn to_image(value: &JsValue, what: &str) -> Result<RgbaImage, Error> {
    if let Some(data) = value.dyn_ref::<ImageData>() {
        let (w, h) = (data.width(), data.height());
        return RgbaImage::from_raw(w, h, data.data().0).ok_or_else(|| {
            Error::SizeMismatch(format!("{what}: ImageData pixels do not fill {w}x{h}"))
        });
    }
    if let Some(bitmap) = value.dyn_ref::<ImageBitmap>() {
        let (w, h) = (bitmap.width(), bitmap.height());
        if w == 0 || h == 0 {
            return Err(Error::ZeroSize(what.into()));
        }
        let canvas_error = |e: JsValue| Error::Io {
            what: what.into(),
            reason: format!("{e:?}"),
        };
        let canvas = OffscreenCanvas::new(w, h).map_err(canvas_error)?;
        let ctx: OffscreenCanvasRenderingContext2d = canvas
            .get_context("2d")
            .map_err(canvas_error)?
            .ok_or_else(|| Error::Io {
                what: what.into(),
                reason: "no 2d canvas".into(),
            })?
            .unchecked_into();
        ctx.draw_image_with_image_bitmap(bitmap, 0.0, 0.0)
            .map_err(canvas_error)?;
        let data = ctx
            .get_image_data(0.0, 0.0, w as f64, h as f64)
            .map_err(canvas_error)?;
        return to_image(&data.into(), what);
    }
    if value.is_instance_of::<Uint8Array>() || value.is_instance_of::<js_sys::ArrayBuffer>() {
        return imageio::decode(&Uint8Array::new(value).to_vec(), what);
    }
    Err(Error::BadOption(format!(
        "{what}: expected ImageData, ImageBitmap or encoded image bytes (Uint8Array / ArrayBuffer)"
    )))
}

/// ImageData where the platform has it; elsewhere (Node.js) an object of the same shape.
fn image_data(img: &RgbaImage) -> Result<JsValue, JsValue> {
    if let Ok(data) = ImageData::new_with_u8_clamped_array_and_sh(
        Clamped(img.as_raw()),
        img.width(),
        img.height(),
    ) {
        return Ok(data.into());
    }
    let out = Object::new();
    Reflect::set(
        &out,
        &"data".into(),
        &js_sys::Uint8ClampedArray::from(img.as_raw().as_slice()),
    )?;
    Reflect::set(&out, &"width".into(), &img.width().into())?;
    Reflect::set(&out, &"height".into(), &img.height().into())?;
    Ok(out.into())
}

fn to_js(outcome: Outcome) -> Result<JsValue, JsValue> {
    let mask_rgba = RgbaImage::from_fn(outcome.mask.width(), outcome.mask.height(), |x, y| {
        let v = outcome.mask.get_pixel(x, y).0[0];
        image::Rgba([v, v, v, 255])
    });
    let out = Object::new();
    Reflect::set(&out, &"mask".into(), &image_data(&mask_rgba)?)?;
    Reflect::set(
        &out,
        &"maskBytes".into(),
        &Uint8Array::from(outcome.mask.as_raw().as_slice()),
    )?;
    Reflect::set(
        &out,
        &"maskPng".into(),
        &Uint8Array::from(imageio::encode_png_gray(&outcome.mask).as_slice()),
    )?;
    Reflect::set(&out, &"heat".into(), &image_data(&outcome.heat)?)?;
    Reflect::set(&out, &"overlay".into(), &image_data(&outcome.overlay)?)?;
    Reflect::set(
        &out,
        &"stats".into(),
        &js_sys::JSON::parse(&outcome.stats.to_json())?,
    )?;
    Ok(out.into())
}
