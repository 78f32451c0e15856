//! In headless Chromium with WebGPU (SwiftShader): every WGSL stage against its CPU twin, the
//! JavaScript API end to end on a real photo with a known answer, and the painter on WebGPU and
//! on the CPU in wasm against the edits and masks recorded natively.

#![cfg(target_arch = "wasm32")]

mod common;
mod painter_fixture;

use editseg::color::Style;
use editseg::gpu::Gpu;
use editseg::painter::Painter;
use editseg::synth;
use editseg::web_api::EditSeg;
use editseg::{BackendChoice, Differ};
use js_sys::{Reflect, Uint8Array};
use painter_fixture::{EDIT_SHARE, MASK_IOU, SIZE, WEIGHTS};

const COFFEE: &[u8] = include_bytes!("photos/coffee.png");
use wasm_bindgen::{Clamped, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::ImageData;

wasm_bindgen_test_configure!(run_in_browser);

async fn gpu() -> Gpu {
    Gpu::new()
        .await
        .expect("no WebGPU adapter: start Chromium with --enable-unsafe-webgpu")
}

macro_rules! in_browser {
    ($($name:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test]
            async fn $name() {
                common::$name(&gpu().await).await;
            }
        )*
    };
}

for_each_gpu_check!(in_browser);

#[wasm_bindgen_test]
async fn the_whole_pipeline_gives_the_same_mask_on_gpu_and_cpu() {
    common::the_whole_pipeline_gives_the_same_mask_on_gpu_and_cpu().await;
}

#[wasm_bindgen_test]
async fn a_framed_edit_gives_the_same_mask_on_gpu_and_cpu() {
    common::a_framed_edit_gives_the_same_mask_on_gpu_and_cpu().await;
}

fn image_data(img: &image::RgbaImage) -> JsValue {
    ImageData::new_with_u8_clamped_array_and_sh(Clamped(img.as_raw()), img.width(), img.height())
        .unwrap()
        .into()
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap()
}

fn options(pairs: &[(&str, &str)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), &(*v).into()).unwrap();
    }
    o.into()
}

async fn mask_from_edit(
    seg: &EditSeg,
    original: JsValue,
    edited: JsValue,
    opts: JsValue,
) -> Result<JsValue, String> {
    settle(seg.mask_from_edit(original, edited, opts, JsValue::UNDEFINED)).await
}

/// A promise's value, or its error's message.
async fn settle(promise: js_sys::Promise) -> Result<JsValue, String> {
    JsFuture::from(promise).await.map_err(|e| {
        e.dyn_into::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_else(|v| format!("{v:?}"))
    })
}

#[wasm_bindgen_test]
async fn auto_takes_the_cpu_path_over_a_fallback_adapter_and_says_why() {
    let gpu = EditSeg::create(Some("gpu".into())).await.unwrap();
    let auto = EditSeg::create(None).await.unwrap();
    // wgpu reports a fallback adapter (`isFallbackAdapter`, SwiftShader here) as a CPU device.
    if gpu.backend().contains("Cpu)") {
        assert_eq!(auto.backend(), "cpu");
        let why = auto.fallback_reason().unwrap();
        assert!(why.contains("is a CPU emulating a GPU"), "{why}");
    } else {
        assert_eq!(auto.backend(), gpu.backend());
        assert_eq!(auto.fallback_reason(), None);
    }
}

#[wasm_bindgen_test]
async fn mask_from_edit_finds_the_painted_region_of_a_real_photo_on_webgpu() {
    let case = synth::case(
        "chelsea",
        &common::photo_image("chelsea.png"),
        9,
        Style::Overlay,
        2,
    );
    let seg = EditSeg::create(Some("gpu".into())).await.unwrap();
    assert!(seg.backend().starts_with("gpu"), "{}", seg.backend());
    // The edit arrives as encoded bytes (as fetched), the original as ImageData.
    let edited_png = editseg::imageio::encode_png_rgba(&case.edited);
    let out = mask_from_edit(
        &seg,
        image_data(&case.original),
        Uint8Array::from(edited_png.as_slice()).into(),
        options(&[("color", &case.color)]),
    )
    .await
    .unwrap();
    let mask: ImageData = get(&out, "mask").dyn_into().unwrap();
    assert_eq!((mask.width(), mask.height()), (451, 300));
    let bytes = Uint8Array::new(&get(&out, "maskBytes")).to_vec();
    let found = image::GrayImage::from_raw(451, 300, bytes).unwrap();
    let (i, u) = editseg::metrics::overlap(&found, &case.truth);
    assert!(i as f64 / u as f64 > 0.9, "IoU {}", i as f64 / u as f64);
    let stats = get(&out, "stats");
    assert_eq!(
        get(&stats, "stretched"),
        JsValue::TRUE,
        "the 1024x1024 answer was stretched back"
    );
    assert!(
        get(&out, "heat").is_instance_of::<ImageData>()
            && get(&out, "overlay").is_instance_of::<ImageData>()
    );
}

#[wasm_bindgen_test]
async fn two_instances_on_one_page_work_at_the_same_time_and_the_cpu_path_agrees() {
    let case = synth::case(
        "coffee",
        &common::photo_image("coffee.png"),
        3,
        Style::Paint,
        1,
    );
    let (a, b) = (
        EditSeg::create(Some("gpu".into())).await.unwrap(),
        EditSeg::create(Some("cpu".into())).await.unwrap(),
    );
    assert_eq!(b.backend(), "cpu");
    let opts = || options(&[("color", &case.color), ("keep", "largest")]);
    let (ra, rb) = futures_join(
        mask_from_edit(
            &a,
            image_data(&case.original),
            image_data(&case.edited),
            opts(),
        ),
        mask_from_edit(
            &b,
            image_data(&case.original),
            image_data(&case.edited),
            opts(),
        ),
    )
    .await;
    let masks: Vec<image::GrayImage> = [ra.unwrap(), rb.unwrap()]
        .iter()
        .map(|o| {
            image::GrayImage::from_raw(600, 400, Uint8Array::new(&get(o, "maskBytes")).to_vec())
                .unwrap()
        })
        .collect();
    let (i, u) = editseg::metrics::overlap(&masks[0], &masks[1]);
    assert!(i as f64 / u as f64 > 0.99, "{i} / {u}");
}

/// Both futures polled together, so both instances really have work in flight at once.
async fn futures_join<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    let (pa, pb) = (std::pin::pin!(a), std::pin::pin!(b));
    let (mut pa, mut pb) = (pa, pb);
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none() {
            if let std::task::Poll::Ready(v) = pa.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let std::task::Poll::Ready(v) = pb.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        if ra.is_some() && rb.is_some() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    (ra.unwrap(), rb.unwrap())
}

#[wasm_bindgen_test]
async fn bad_inputs_are_rejected_with_messages_that_name_the_problem() {
    let seg = EditSeg::create(Some("gpu".into())).await.unwrap();
    let original = image_data(&common::photo_image("chelsea.png"));
    let junk: JsValue = Uint8Array::from(&b"not an image"[..]).into();
    let err = mask_from_edit(&seg, original.clone(), junk, JsValue::UNDEFINED)
        .await
        .unwrap_err();
    assert!(err.contains("edited: not an image"), "{err}");
    let err = mask_from_edit(
        &seg,
        original.clone(),
        original.clone(),
        options(&[("color", "plaid")]),
    )
    .await
    .unwrap_err();
    assert!(err.contains("unknown colour \"plaid\""), "{err}");
    let err = mask_from_edit(
        &seg,
        original.clone(),
        original.clone(),
        options(&[("speed", "1")]),
    )
    .await
    .unwrap_err();
    assert!(err.contains("unknown option \"speed\""), "{err}");
    let err = mask_from_edit(
        &seg,
        original.clone(),
        JsValue::from(42),
        JsValue::UNDEFINED,
    )
    .await
    .unwrap_err();
    assert!(err.contains("expected ImageData"), "{err}");
    let tall = image_data(&image::RgbaImage::new(60, 400));
    let err = mask_from_edit(&seg, original.clone(), tall, JsValue::UNDEFINED)
        .await
        .unwrap_err();
    assert!(err.contains("aspect ratios"), "{err}");
    seg.destroy();
    let err = mask_from_edit(&seg, original.clone(), original, JsValue::UNDEFINED)
        .await
        .unwrap_err();
    assert!(err.contains("GPU device lost"), "{err}");
}

#[wasm_bindgen_test]
async fn the_painter_on_webgpu_and_on_the_cpu_in_wasm_gives_the_native_edits_and_masks() {
    for choice in [BackendChoice::Gpu, BackendChoice::Cpu] {
        let differ = Differ::new(choice).await.unwrap();
        let device = match differ.gpu() {
            Some(g) => g.burn_device().unwrap(),
            None => burn::prelude::Device::flex(),
        };
        let painter = Painter::load(WEIGHTS, device).unwrap();
        let results = painter_fixture::run_all(&painter, &differ).await;
        let (worst, share, iou) = painter_fixture::compare(&results);
        assert!(
            share <= EDIT_SHARE && iou >= MASK_IOU,
            "{choice:?}: edits differ from native by up to {worst} levels ({:.2}% of channels by more than a rounding), masks overlap {iou:.3}",
            100.0 * share
        );
    }
}

#[wasm_bindgen_test]
async fn segment_from_javascript_loads_the_fetched_weights_and_returns_edit_heat_mask_and_timings()
{
    let seg = EditSeg::create(Some("gpu".into())).await.unwrap();
    let err = settle(seg.segment(
        JsValue::UNDEFINED,
        "paint the star red".into(),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap_err();
    assert!(err.contains("call loadPainter"), "{err}");
    let truncated = Uint8Array::from(&WEIGHTS[..WEIGHTS.len() / 3]);
    let err = settle(seg.load_painter(truncated)).await.unwrap_err();
    assert!(err.contains("painter weights"), "{err}");
    let backend = settle(seg.load_painter(Uint8Array::from(WEIGHTS)))
        .await
        .unwrap();
    assert_eq!(backend.as_string().as_deref(), Some("webgpu"));
    assert_eq!(seg.painter_backend().as_deref(), Some("webgpu"));

    let (picture, _, instruction) = painter_fixture::scene(0);
    let out = settle(seg.segment(
        image_data(&picture),
        instruction.clone(),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    // A cleanup slider moved: the picture's perception maps are reused.
    let again = settle(seg.segment(
        image_data(&picture),
        instruction,
        options(&[("close", "2")]),
    ))
    .await
    .unwrap();
    assert_eq!(get(&get(&again, "timings"), "painter").as_f64(), Some(0.0));
    let mask = Uint8Array::new(&get(&out, "maskBytes")).to_vec();
    let mask = image::GrayImage::from_raw(SIZE, SIZE, mask).unwrap();
    // The mask JS gets is the one the native painter gives for this scene (its recording).
    let (inter, union) = editseg::metrics::overlap(&mask, &painter_fixture::recorded_mask(0));
    let iou = inter as f64 / union.max(1) as f64;
    assert!(
        iou >= MASK_IOU,
        "the JS mask overlaps the native recording by {iou:.3} only"
    );
    let edit: ImageData = get(&out, "edit").dyn_into().unwrap();
    assert_eq!(
        (edit.width(), edit.height()),
        (editseg::painter::RES, editseg::painter::RES)
    );
    // Results live in JS memory: growing the wasm memory (a large scene) leaves them readable.
    drop(editseg::web_api::scene(3, 2048).unwrap());
    assert_eq!(
        edit.data().len(),
        (4 * editseg::painter::RES * editseg::painter::RES) as usize
    );
    // The same shape as maskFromEdit's, heat map and overlay at the picture's size.
    for key in ["mask", "heat", "overlay"] {
        let view: ImageData = get(&out, key).dyn_into().unwrap();
        assert_eq!((view.width(), view.height()), (SIZE, SIZE), "{key}");
    }
    assert_eq!(
        Uint8Array::new(&get(&out, "maskPng")).to_vec()[1..4],
        *b"PNG"
    );
    assert_eq!(
        get(&get(&out, "stats"), "width").as_f64(),
        Some(SIZE as f64)
    );
    assert_eq!(
        get(&out, "painterBackend").as_string().as_deref(),
        Some("webgpu")
    );
    assert!(get(&out, "paint").as_string().unwrap().starts_with('#'));
    let timings = get(&out, "timings");
    let ms = |key: &str| get(&timings, key).as_f64().unwrap();
    assert!(ms("painter") > 0.0, "the first painting was not timed");
    assert_eq!(get(&out, "found").as_bool(), Some(true));

    // Something the scene does not have: no mask, the reason and the note.
    let absent = settle(seg.segment(
        image_data(&picture),
        "paint the third crescent from the left purple".into(),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    assert_eq!(get(&absent, "found").as_bool(), Some(false));
    assert_eq!(
        get(&absent, "reason").as_string().as_deref(),
        Some("absent")
    );
    assert!(
        get(&absent, "note")
            .as_string()
            .unwrap()
            .contains("crescent"),
        "{:?}",
        get(&absent, "note")
    );
    assert!(get(&absent, "maskBytes").is_undefined());

    // A photo: not a scene, said the same way on WebGPU and on the CPU in wasm, before its
    // words are read; `force` paints anyway.
    let native = {
        let painter = Painter::load(WEIGHTS, burn::prelude::Device::flex()).unwrap();
        let small = image::imageops::resize(
            &editseg::imageio::decode(COFFEE, "coffee").unwrap(),
            editseg::painter::RES,
            editseg::painter::RES,
            image::imageops::FilterType::Triangle,
        );
        let maps = painter.perceive(&[&small]).await.unwrap().remove(0);
        editseg::painter::scene_likeness(&small, &maps) as f64
    };
    let cpu = EditSeg::create(Some("cpu".into())).await.unwrap();
    settle(cpu.load_painter(Uint8Array::from(WEIGHTS)))
        .await
        .unwrap();
    for (name, on) in [("webgpu", &seg), ("cpu", &cpu)] {
        let photo = settle(on.segment(
            Uint8Array::from(COFFEE).into(),
            "paint the zebra purple".into(),
            JsValue::UNDEFINED,
        ))
        .await
        .unwrap();
        assert_eq!(get(&photo, "found").as_bool(), Some(false), "{name}");
        assert_eq!(
            get(&photo, "reason").as_string().as_deref(),
            Some("not_a_scene"),
            "{name}"
        );
        let likeness = get(&photo, "sceneLikeness").as_f64().unwrap();
        assert!(
            (likeness - native).abs() < 0.02,
            "{name}: {likeness} vs native {native}"
        );
        let forced = settle(on.segment(
            Uint8Array::from(COFFEE).into(),
            "paint the cup purple".into(),
            {
                let o = js_sys::Object::new();
                Reflect::set(&o, &"force".into(), &true.into()).unwrap();
                o.into()
            },
        ))
        .await;
        assert!(forced.is_ok(), "{name}: {forced:?}");
    }

    let err = settle(seg.segment(image_data(&picture), "   ".into(), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert!(err.contains("empty"), "{err}");
}

/// Eight editor-like cases of a real photo at 0.1 MP, each with its own paint and damage.
fn eight_cases() -> Vec<synth::Case> {
    let photo = image::imageops::resize(
        &common::photo_image("coffee.png"),
        384,
        256,
        image::imageops::FilterType::Triangle,
    );
    (0..8)
        .map(|k| synth::case("coffee", &photo, 100 + k, Style::Paint, (k % 3) as u32))
        .collect()
}

#[wasm_bindgen_test]
async fn eight_overlapping_requests_give_the_masks_of_eight_sequential_ones() {
    let seg = EditSeg::create(Some("gpu".into())).await.unwrap();
    let cases = eight_cases();
    let request = |c: &synth::Case| {
        seg.mask_from_edit(
            image_data(&c.original),
            image_data(&c.edited),
            options(&[("color", &c.color)]),
            JsValue::UNDEFINED,
        )
    };
    let all = js_sys::Array::new();
    for c in &cases {
        all.push(&request(c));
    }
    let together = settle(js_sys::Promise::all(&all)).await.unwrap();
    for (k, c) in cases.iter().enumerate() {
        let alone = settle(request(c)).await.unwrap();
        let bytes = |v: &JsValue| Uint8Array::new(&get(v, "maskBytes")).to_vec();
        assert_eq!(
            bytes(&js_sys::Array::from(&together).get(k as u32)),
            bytes(&alone),
            "case {k}: the overlapping request's mask differs from the sequential one's"
        );
    }
}

#[wasm_bindgen_test]
async fn a_device_lost_mid_request_rejects_it_by_name_and_a_new_instance_works() {
    let cases = eight_cases();
    let c = &cases[0];
    let seg = EditSeg::create(Some("gpu".into())).await.unwrap();
    let running = seg.mask_from_edit(
        image_data(&c.original),
        image_data(&c.edited),
        options(&[("color", &c.color)]),
        JsValue::UNDEFINED,
    );
    // One turn of the event loop: the request has been submitted and waits for a readback.
    let tick = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout: js_sys::Function = get(&js_sys::global(), "setTimeout").into();
        set_timeout
            .call2(&JsValue::NULL, &resolve, &0.into())
            .unwrap();
    });
    JsFuture::from(tick).await.unwrap();
    seg.destroy();
    let err = settle(running).await.unwrap_err();
    assert!(err.contains("GPU device lost"), "{err}");
    let fresh = EditSeg::create(Some("gpu".into())).await.unwrap();
    let out = mask_from_edit(
        &fresh,
        image_data(&c.original),
        image_data(&c.edited),
        options(&[("color", &c.color)]),
    )
    .await
    .unwrap();
    let mask = Uint8Array::new(&get(&out, "maskBytes")).to_vec();
    let (i, u) = editseg::metrics::overlap(
        &image::GrayImage::from_raw(384, 256, mask).unwrap(),
        &c.truth,
    );
    assert!(i as f64 / u as f64 > 0.9, "IoU {}", i as f64 / u as f64);
}
