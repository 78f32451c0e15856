//! In headless Chromium with WebGPU (SwiftShader): every WGSL stage against its CPU twin, and the
//! JavaScript API end to end on a real photo with a known answer.

#![cfg(target_arch = "wasm32")]

mod common;

use editseg::gpu::Gpu;
use editseg::synth::{self, Style};
use editseg::web_api::EditSeg;
use js_sys::{Reflect, Uint8Array};
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
    JsFuture::from(seg.mask_from_edit(original, edited, opts))
        .await
        .map_err(|e| {
            e.dyn_into::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .unwrap_or_else(|v| format!("{v:?}"))
        })
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
        Style::Recolour,
        1,
    );
    let (a, b) = (
        EditSeg::create(None).await.unwrap(),
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
    let seg = EditSeg::create(None).await.unwrap();
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
