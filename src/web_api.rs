//! The JavaScript API (wasm-bindgen): `EditSeg.create()` once, then `maskFromEdit(original,
//! edited, options)` as often as needed; after `loadPainter(weights)`, also
//! `segment(image, instruction, options)`. Each instance owns its own WebGPU device, shared by
//! the painter network and the diff stages, or the CPU path when the browser has no WebGPU.

use crate::editor::{prompt, wire, Adapter, Class, Failure};
use crate::painter::segment::{self, Answer};
use crate::painter::Painter;
use crate::pipeline::Stage;
use crate::{clock::now_ms, error::Error, imageio, BackendChoice, Differ, Options, Outcome};
use image::RgbaImage;
use js_sys::{Array, Object, Reflect, Uint8Array};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ImageBitmap, ImageData, OffscreenCanvas, OffscreenCanvasRenderingContext2d};

// The result types, written from the Rust definitions (tests/types.rs), and the shapes around
// them, in the module's own TypeScript declarations.
#[wasm_bindgen(typescript_custom_section)]
const GENERATED_TYPES: &str = include_str!("../www/types/generated.d.ts");
#[wasm_bindgen(typescript_custom_section)]
const RESULT_TYPES: &str = include_str!("../www/types/results.d.ts");

/// Runs once, when the module is instantiated.
#[wasm_bindgen(start)]
fn start() {
    crate::run_static_constructors();
    console_error_panic_hook::set_once();
}

fn js_error(e: Error) -> JsValue {
    JsError::new(&e.to_string()).into()
}

#[wasm_bindgen]
pub struct EditSeg {
    inner: Rc<Differ>,
    painter: Rc<RefCell<Option<Rc<Painter>>>>,
}

#[wasm_bindgen]
impl EditSeg {
    /// Open a differ. `backend` is "auto" (WebGPU on a real GPU; the CPU without WebGPU or
    /// where the only adapter is a CPU fallback such as SwiftShader, see `fallbackReason`),
    /// "gpu" (fail without WebGPU) or "cpu".
    pub async fn create(backend: Option<String>) -> Result<EditSeg, JsValue> {
        let choice: BackendChoice = backend
            .as_deref()
            .unwrap_or("auto")
            .parse()
            .map_err(js_error)?;
        let inner = Differ::new(choice).await.map_err(js_error)?;
        Ok(EditSeg {
            inner: Rc::new(inner),
            painter: Rc::new(RefCell::new(None)),
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

    /// Load the painter: `weights` are the f16 burnpack bytes (`model/painter.bpk`), which carry
    /// what they were trained for (checked here). It runs on this instance's WebGPU device, or
    /// on the CPU when the instance has none. Resolves to the backend it runs on ("webgpu" or
    /// "cpu").
    #[wasm_bindgen(js_name = loadPainter, unchecked_return_type = "Promise<'webgpu' | 'cpu'>")]
    pub fn load_painter(&self, weights: Uint8Array) -> js_sys::Promise {
        let inner = self.inner.clone();
        let slot = self.painter.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let device = match inner.gpu() {
                Some(g) => g.burn_device().map_err(js_error)?,
                None => burn::prelude::Device::flex(),
            };
            let painter = Painter::load(&weights.to_vec(), device).map_err(js_error)?;
            let backend = painter_backend(&inner);
            *slot.borrow_mut() = Some(Rc::new(painter));
            Ok(backend.into())
        })
    }

    /// Where the painter runs once loaded: "webgpu" or "cpu"; undefined before `loadPainter`.
    #[wasm_bindgen(getter, js_name = painterBackend)]
    pub fn painter_backend(&self) -> Option<String> {
        self.painter
            .borrow()
            .as_ref()
            .map(|_| painter_backend(&self.inner).to_string())
    }

    /// Paint what `instruction` names ("paint the star left of the red ball purple", "segment
    /// the small heart") and resolve to `{found: true}` with what `maskFromEdit` gives (mask,
    /// heat and overlay at the image's size) and `{edit, editPng, expression, paint,
    /// painterBackend, timings: {painter, diff, upsample, total}}`; `edit` is at the painter's
    /// working size. When nothing in the picture fits, or the picture does not look like a
    /// RefScenes scene, to `{found: false, reason: "absent" | "not_a_scene", note,
    /// sceneLikeness, expression, painterBackend, timings}` instead (`options.force: true`
    /// paints on any picture). `image` is what `maskFromEdit`
    /// accepts; `options` as there (`color` overrides the instruction's). Asked again about the
    /// same image, the painter reuses what it saw (`timings.painter` is then 0): only the
    /// program, the diff and the cleanup run again.
    #[wasm_bindgen(unchecked_return_type = "Promise<SegmentResult>")]
    pub fn segment(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Picture")] image: JsValue,
        instruction: String,
        #[wasm_bindgen(unchecked_optional_param_type = "Options")] options: JsValue,
    ) -> js_sys::Promise {
        let inner = self.inner.clone();
        let painter = self.painter.borrow().clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let started = now_ms();
            let painter = painter.ok_or_else(|| {
                JsValue::from(JsError::new(
                    "the painter is not loaded: call loadPainter(weights) first",
                ))
            })?;
            // `force` belongs to the painter, not to the diff's options.
            let force = options.is_object()
                && Reflect::get(&options, &"force".into())
                    .ok()
                    .and_then(|f| f.as_bool())
                    .unwrap_or(false);
            let options = without(&options, "force")?;
            let options = parse_options(&options).map_err(js_error)?;
            let picture = to_image(&image, "image").map_err(js_error)?;
            let answer =
                segment::segment(&painter, &inner, &picture, &instruction, &options, force)
                    .await
                    .map_err(js_error)?;
            let result = match answer {
                Answer::Found(result) => result,
                Answer::NotFound {
                    expression,
                    not_found,
                    ms,
                } => {
                    let out = to_value(&not_found)?;
                    Reflect::set(&out, &"found".into(), &false.into())?;
                    Reflect::set(&out, &"expression".into(), &expression.as_str().into())?;
                    Reflect::set(
                        &out,
                        &"painterBackend".into(),
                        &painter_backend(&inner).into(),
                    )?;
                    let timings = to_value(&segment::Timings {
                        painter: ms,
                        ..Default::default()
                    })?;
                    Reflect::set(&timings, &"total".into(), &(now_ms() - started).into())?;
                    Reflect::set(&out, &"timings".into(), &timings)?;
                    return Ok(out);
                }
            };
            let out = to_js(&result.outcome)?;
            Reflect::set(&out, &"found".into(), &true.into())?;
            let painted = &result.painted;
            Reflect::set(&out, &"edit".into(), &image_data(&painted.edit)?)?;
            Reflect::set(
                &out,
                &"editPng".into(),
                &Uint8Array::from(imageio::encode_png_rgba(&painted.edit).as_slice()),
            )?;
            Reflect::set(
                &out,
                &"expression".into(),
                &painted.instruction.expression.as_str().into(),
            )?;
            Reflect::set(
                &out,
                &"paint".into(),
                &crate::color::hex(painted.paint).into(),
            )?;
            Reflect::set(
                &out,
                &"painterBackend".into(),
                &painter_backend(&inner).into(),
            )?;
            let timings = to_value(&result.timings)?;
            Reflect::set(&timings, &"total".into(), &(now_ms() - started).into())?;
            Reflect::set(&out, &"timings".into(), &timings)?;
            Ok(out)
        })
    }

    /// Resolve to `{mask, maskBytes, maskPng, heat, overlay, visibleBytes, stats}`: `mask`,
    /// `heat` and `overlay` are ImageData of the original's size (objects of the same shape where
    /// ImageData is missing), `maskBytes` one byte per pixel (255 inside), `maskPng` the mask as
    /// PNG, `visibleBytes` what the edit's frame showed (or null: all of it). `original` and
    /// `edited` are ImageData, ImageBitmap, or encoded PNG/JPEG/WebP bytes (Uint8Array or
    /// ArrayBuffer). `options`: {color, threshold, keep: "all"|"largest", seed: [x, y], open,
    /// close, minArea, maxHole, maxShift, outline: "half"|"threshold", register:
    /// "auto"|"shift"|"affine"|"flow", diff: "editseg"|"ming"}. `listeners`: `{onStage}`, called with a description
    /// of each stage as it begins ("finding the painted region", ...), as the runtime takes it.
    #[wasm_bindgen(js_name = maskFromEdit, unchecked_return_type = "Promise<MaskResult>")]
    pub fn mask_from_edit(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Picture")] original: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Picture")] edited: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Options")] options: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Listeners")] listeners: JsValue,
    ) -> js_sys::Promise {
        let inner = self.inner.clone();
        let on_stage: Option<js_sys::Function> = if listeners.is_object() {
            Reflect::get(&listeners, &"onStage".into())
                .ok()
                .and_then(|f| f.dyn_into().ok())
        } else {
            None
        };
        wasm_bindgen_futures::future_to_promise(async move {
            let options = parse_options(&options).map_err(js_error)?;
            let original = to_image(&original, "original").map_err(js_error)?;
            let edited = to_image(&edited, "edited").map_err(js_error)?;
            let progress = |stage: Stage| {
                if let Some(f) = &on_stage {
                    // A listener that throws does not stop the run.
                    let _ = f.call1(&JsValue::NULL, &stage.describe().into());
                }
            };
            let outcome = inner
                .mask_from_edit_telling(&original, &edited, &options, &progress)
                .await
                .map_err(js_error)?;
            to_js(&outcome)
        })
    }
}

/// The largest picture the module reads, in pixels: what a page should check before sending one.
#[wasm_bindgen(js_name = maxPixels)]
pub fn max_pixels() -> f64 {
    imageio::MAX_PIXELS as f64
}

/// RefScenes scene number `index` (validation split) drawn at `size` x `size`: `{image,
/// suggestions: [{instruction, mask}]}`, one suggested instruction per object that can be
/// named alone, with that object's true mask (one byte a pixel, 255 inside).
#[wasm_bindgen(unchecked_return_type = "Scene")]
pub fn scene(index: u32, size: u32) -> Result<JsValue, JsValue> {
    if !(16..=2048).contains(&size) {
        return Err(js_error(Error::BadOption(format!(
            "scene size {size}: expected 16 to 2048 pixels"
        ))));
    }
    let sample = crate::scenes::Sample::generate(crate::scenes::Split::Val, index as u64, 1);
    let out = Object::new();
    Reflect::set(
        &out,
        &"image".into(),
        &image_data(&sample.image(size, size))?,
    )?;
    let list = Array::new();
    for (object, instruction) in sample.suggestions() {
        let item = Object::new();
        Reflect::set(&item, &"instruction".into(), &instruction.into())?;
        let mask = sample.object_mask(object, size, size);
        Reflect::set(
            &item,
            &"mask".into(),
            &Uint8Array::from(mask.as_raw().as_slice()),
        )?;
        list.push(&item);
    }
    Reflect::set(&out, &"suggestions".into(), &list)?;
    Ok(out.into())
}

/// A copy of an options object without `key` (or the value as it is, when it is not an object).
fn without(options: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    if !options.is_object() {
        return Ok(options.clone());
    }
    let copy = Object::assign(&Object::new(), options.unchecked_ref());
    Reflect::delete_property(&copy, &key.into())?;
    Ok(copy.into())
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
        imageio::check_size(what, w, h)?;
        return RgbaImage::from_raw(w, h, data.data().0).ok_or_else(|| {
            Error::SizeMismatch(format!("{what}: ImageData pixels do not fill {w}x{h}"))
        });
    }
    if let Some(bitmap) = value.dyn_ref::<ImageBitmap>() {
        let (w, h) = (bitmap.width(), bitmap.height());
        if w == 0 || h == 0 {
            return Err(Error::ZeroSize(what.into()));
        }
        imageio::check_size(what, w, h)?;
        let canvas_error = |e: JsValue| Error::Io {
            what: what.into(),
            reason: format!("cannot read the bitmap: {e:?}"),
        };
        let canvas = OffscreenCanvas::new(w, h).map_err(canvas_error)?;
        let ctx: OffscreenCanvasRenderingContext2d = canvas
            .get_context("2d")
            .map_err(canvas_error)?
            .ok_or_else(|| Error::Io {
                what: what.into(),
                reason: "cannot read the bitmap: no 2d canvas".into(),
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
    // A copy in JS memory: ImageData keeps the array it is given, and a view into wasm memory
    // is detached as soon as that memory grows.
    let pixels = js_sys::Uint8ClampedArray::from(img.as_raw().as_slice());
    if let Ok(data) =
        ImageData::new_with_js_u8_clamped_array_and_sh(&pixels, img.width(), img.height())
    {
        return Ok(data.into());
    }
    let out = Object::new();
    Reflect::set(&out, &"data".into(), &pixels)?;
    Reflect::set(&out, &"width".into(), &img.width().into())?;
    Reflect::set(&out, &"height".into(), &img.height().into())?;
    Ok(out.into())
}

fn painter_backend(differ: &Differ) -> &'static str {
    if differ.gpu().is_some() {
        "webgpu"
    } else {
        "cpu"
    }
}

/// A Rust value as a plain JS object (camelCase names, as its serde derive says).
fn to_value(value: &impl serde::Serialize) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()).into())
}

/// The one result shape of `maskFromEdit` and `segment`: `{mask, maskBytes, maskPng, heat,
/// overlay, visibleBytes, stats}`.
fn to_js(outcome: &Outcome) -> Result<JsValue, JsValue> {
    let mask = &outcome.mask;
    let out: JsValue = Object::new().into();
    let mut grey = vec![255u8; 4 * mask.as_raw().len()];
    for (o, &v) in grey.chunks_exact_mut(4).zip(mask.as_raw()) {
        o[..3].fill(v);
    }
    let rgba = RgbaImage::from_raw(mask.width(), mask.height(), grey).expect("four bytes a pixel");
    Reflect::set(&out, &"mask".into(), &image_data(&rgba)?)?;
    Reflect::set(
        &out,
        &"maskBytes".into(),
        &Uint8Array::from(mask.as_raw().as_slice()),
    )?;
    Reflect::set(
        &out,
        &"maskPng".into(),
        &Uint8Array::from(imageio::encode_png_gray(mask).as_slice()),
    )?;
    Reflect::set(&out, &"heat".into(), &image_data(&outcome.heat)?)?;
    Reflect::set(&out, &"overlay".into(), &image_data(&outcome.overlay)?)?;
    let visible = match &outcome.visible {
        Some(seen) => Uint8Array::from(seen.as_raw().as_slice()).into(),
        None => JsValue::NULL,
    };
    Reflect::set(&out, &"visibleBytes".into(), &visible)?;
    Reflect::set(&out, &"stats".into(), &to_value(&outcome.stats)?)?;
    Ok(out)
}

/// The page's editor settings: `{adapter: "openai" | "gemini", endpoint?, model?, seed?}` (the key
/// never comes here: the page adds its header).
fn editor_settings(value: &JsValue) -> Result<(Adapter, String, String, Option<u64>), Error> {
    let get = |key: &str| Reflect::get(value, &key.into()).unwrap_or(JsValue::UNDEFINED);
    let adapter: Adapter = get("adapter")
        .as_string()
        .ok_or_else(|| {
            Error::BadOption("editor.adapter: expected \"openai\" or \"gemini\"".into())
        })?
        .parse()?;
    if !matches!(adapter, Adapter::OpenAi | Adapter::Gemini) {
        return Err(Error::BadOption(format!(
            "editor.adapter: the page drives \"openai\" or \"gemini\" editors, not \"{}\"",
            adapter.name()
        )));
    }
    let text = |key: &str, default: Option<&str>| {
        get(key)
            .as_string()
            .filter(|s| !s.trim().is_empty())
            .or(default.map(str::to_string))
            .expect("HTTP editors have defaults")
    };
    let endpoint = text("endpoint", adapter.default_endpoint());
    if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
        return Err(Error::BadOption(format!(
            "editor.endpoint must be an http:// or https:// URL, not \"{endpoint}\""
        )));
    }
    let seed = get("seed").as_f64().map(|s| s as u64);
    Ok((
        adapter,
        endpoint,
        text("model", adapter.default_model()),
        seed,
    ))
}

/// What to send an editor for a typed instruction on `image`: `{url, contentType, body,
/// keyHeader, keyPrefix, prompt, color, colorName}`. The prompt is the instruction as typed; the
/// colour the diff is told is the one it names, else `color` (then added to the prompt in
/// words), else one that stands out from the picture.
#[wasm_bindgen(js_name = editorRequest, unchecked_return_type = "EditorRequest")]
pub fn editor_request(
    #[wasm_bindgen(unchecked_param_type = "Picture")] image: JsValue,
    instruction: &str,
    color: Option<String>,
    #[wasm_bindgen(unchecked_param_type = "EditorSettings")] editor: JsValue,
) -> Result<JsValue, JsValue> {
    let (adapter, endpoint, model, seed) = editor_settings(&editor).map_err(js_error)?;
    let picture = to_image(&image, "image").map_err(js_error)?;
    let wanted = color
        .as_deref()
        .map(crate::color::parse)
        .transpose()
        .map_err(js_error)?;
    let typed = prompt::typed(instruction, &picture, wanted).map_err(js_error)?;
    let png = imageio::encode_png_rgba(&picture);
    let ask = wire::Ask {
        endpoint: &endpoint,
        model: &model,
        prompt: &typed.prompt,
        png: &png,
        seed,
    };
    let req = wire::request(adapter, &ask);
    // The header's name and what goes before the key; the page adds the key itself.
    let (key_header, prefix) = wire::key_header(adapter, "");
    let out = Object::new();
    for (k, v) in [
        ("url", JsValue::from(req.url)),
        ("contentType", req.content_type.into()),
        ("body", Uint8Array::from(req.body.as_slice()).into()),
        ("keyHeader", key_header.into()),
        ("keyPrefix", prefix.into()),
        ("prompt", typed.prompt.into()),
        ("color", crate::color::hex(typed.rgb).into()),
        ("colorName", typed.words.into()),
    ] {
        Reflect::set(&out, &k.into(), &v)?;
    }
    Ok(out.into())
}

/// Read an editor's answer (its HTTP status, `Retry-After` and body): `{image, finishReason,
/// text}`, the picture as the editor sent its bytes; or an Error whose `class` is refused,
/// no_image, http or bad_image, with `status` and the editor's own message.
#[wasm_bindgen(js_name = editorAnswer, unchecked_return_type = "EditorAnswer")]
pub fn editor_answer(
    adapter: &str,
    status: u16,
    retry_after: Option<String>,
    body: Uint8Array,
) -> Result<JsValue, JsValue> {
    let adapter: Adapter = adapter.parse().map_err(js_error)?;
    let read = wire::read(adapter, status, retry_after.as_deref(), &body.to_vec()).and_then(|a| {
        imageio::decode(&a.image, "the editor's picture")
            .map_err(|e| Failure::new(Class::BadImage, e.to_string()))?;
        Ok(a)
    });
    match read {
        Ok(answer) => {
            let out = Object::new();
            let optional = |v: Option<String>| v.map_or(JsValue::NULL, JsValue::from);
            Reflect::set(
                &out,
                &"image".into(),
                &Uint8Array::from(answer.image.as_slice()),
            )?;
            Reflect::set(
                &out,
                &"finishReason".into(),
                &optional(answer.finish_reason),
            )?;
            Reflect::set(&out, &"text".into(), &optional(answer.text))?;
            Ok(out.into())
        }
        Err(f) => {
            let e = js_sys::Error::new(&f.to_string());
            Reflect::set(&e, &"class".into(), &f.class.name().into())?;
            Reflect::set(
                &e,
                &"status".into(),
                &f.status.map_or(JsValue::NULL, JsValue::from),
            )?;
            Reflect::set(&e, &"editorMessage".into(), &f.message.into())?;
            Err(e.into())
        }
    }
}

/// The provider's public endpoint and usual model for an HTTP editor: `{endpoint, model}`.
#[wasm_bindgen(js_name = editorDefaults, unchecked_return_type = "{ endpoint: string; model: string }")]
pub fn editor_defaults(adapter: &str) -> Result<JsValue, JsValue> {
    let adapter: Adapter = adapter.parse().map_err(js_error)?;
    let (Some(endpoint), Some(model)) = (adapter.default_endpoint(), adapter.default_model())
    else {
        return Err(js_error(Error::BadOption(format!(
            "\"{}\" is not an HTTP editor",
            adapter.name()
        ))));
    };
    let out = Object::new();
    Reflect::set(&out, &"endpoint".into(), &endpoint.into())?;
    Reflect::set(&out, &"model".into(), &model.into())?;
    Ok(out.into())
}
