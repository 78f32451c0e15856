//! Where there is no WebGPU at all (here: Node.js, which has no `navigator.gpu`), "auto" falls
//! back to the CPU path and says why, and "gpu" fails with a clear error instead of a panic.

#![cfg(target_arch = "wasm32")]

use editseg::color::Style;
use editseg::synth;
use editseg::web_api::EditSeg;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

#[wasm_bindgen_test]
async fn auto_falls_back_to_the_cpu_and_gpu_is_refused_by_name() {
    let err = match EditSeg::create(Some("gpu".into())).await {
        Ok(_) => panic!("a WebGPU device appeared without WebGPU"),
        Err(e) => js_sys::Error::from(e).message(),
    };
    assert!(String::from(err).contains("no WebGPU adapter"));
    let seg = EditSeg::create(None).await.unwrap();
    assert_eq!(seg.backend(), "cpu");
    assert!(seg.fallback_reason().unwrap().contains("navigator.gpu"));

    let photo = editseg::imageio::decode(include_bytes!("photos/chelsea.png"), "chelsea").unwrap();
    let case = synth::case("chelsea", &photo, 4, Style::Paint, 1);
    let bytes = |img: &image::RgbaImage| -> JsValue {
        Uint8Array::from(editseg::imageio::encode_png_rgba(img).as_slice()).into()
    };
    // The stages are told as they begin.
    let heard = js_sys::Array::new();
    let listen = js_sys::Function::new_with_args("stage", "this.push(stage)").bind0(&heard);
    let out = JsFuture::from(seg.mask_from_edit(
        bytes(&case.original),
        bytes(&case.edited),
        JsValue::UNDEFINED,
        {
            let listeners = js_sys::Object::new();
            js_sys::Reflect::set(&listeners, &"onStage".into(), &listen).unwrap();
            listeners.into()
        },
    ))
    .await
    .unwrap();
    let stages: Vec<String> = heard.iter().filter_map(|s| s.as_string()).collect();
    assert_eq!(
        stages,
        [
            "bringing both pictures onto one grid",
            "finding the painted region",
            "placing the outline",
            "drawing the mask, heat map and overlay"
        ]
    );
    let mask = Uint8Array::new(&Reflect::get(&out, &"maskBytes".into()).unwrap()).to_vec();
    let (i, u) = editseg::metrics::overlap(
        &image::GrayImage::from_raw(451, 300, mask).unwrap(),
        &case.truth,
    );
    assert!(i as f64 / u as f64 > 0.9, "IoU {}", i as f64 / u as f64);
}

/// The CPU path's CIELAB rows, four pixels at a time in WebAssembly's vectors, give the bits of
/// converting each pixel alone: a million colours, knee and extremes included, and rows of
/// every length mod 4.
#[wasm_bindgen_test]
fn cielab_rows_in_wasm_vectors_convert_as_each_pixel_does_alone() {
    use editseg::color::{LabRow, LabTable};
    let table = LabTable::new();
    let pixels: Vec<u32> = (0..1u32 << 20)
        .map(|v| v.wrapping_mul(2_654_435_761))
        .collect();
    let pixels = [&pixels[..], &[0, 0x00ff_ffff, 0x0003_0201, 0x0009_0909]].concat();
    let mut row = LabRow::default();
    let short = (0..4).map(|k| &pixels[1..][..9 + k]);
    for part in std::iter::once(&pixels[..]).chain(short) {
        table.row(part, &mut row);
        for (i, &p) in part.iter().enumerate() {
            let lab = [row.l[i], row.a[i], row.b[i]].map(f32::to_bits);
            assert_eq!(lab, table.lab(p).map(f32::to_bits), "pixel {p:08x}");
        }
    }
}

/// The page's editor calls: the request in Gemini's wire format for a typed instruction (its
/// colour kept, the picture inline), an answer read back to its picture, and failures thrown
/// with their class and the editor's words; bad settings are refused by name.
#[wasm_bindgen_test]
fn the_pages_editor_requests_and_answers_use_the_shared_wire_formats() {
    use editseg::web_api::{editor_answer, editor_request};
    let get = |v: &JsValue, k: &str| Reflect::get(v, &k.into()).unwrap();
    let photo = Uint8Array::from(&include_bytes!("photos/chelsea.png")[..]);
    let settings =
        js_sys::JSON::parse(r#"{"adapter": "gemini", "endpoint": "http://127.0.0.1:1/v1beta"}"#)
            .unwrap();
    let req = editor_request(photo.clone().into(), "paint the cat purple", None, settings).unwrap();
    assert_eq!(
        get(&req, "url").as_string().unwrap(),
        "http://127.0.0.1:1/v1beta/models/gemini-2.5-flash-image:generateContent"
    );
    assert_eq!(
        get(&req, "keyHeader").as_string().unwrap(),
        "x-goog-api-key"
    );
    assert_eq!(get(&req, "color").as_string().unwrap(), "#8c28c8");
    let body: serde_json::Value =
        serde_json::from_slice(&Uint8Array::new(&get(&req, "body")).to_vec()).unwrap();
    assert_eq!(
        body["contents"][0]["parts"][0]["text"],
        "paint the cat purple"
    );

    let png = editseg::imageio::encode_png_rgba(&image::RgbaImage::new(4, 3));
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD.encode(&png);
    let ok = format!(
        r#"{{"candidates": [{{"finishReason": "STOP", "content": {{"parts": [{{"inlineData": {{"mimeType": "image/png", "data": "{data}"}}}}]}}}}]}}"#
    );
    let answer = editor_answer("gemini", 200, None, Uint8Array::from(ok.as_bytes())).unwrap();
    assert_eq!(Uint8Array::new(&get(&answer, "image")).to_vec(), png);
    let refused =
        br#"{"error": {"message": "Your request was rejected.", "code": "moderation_blocked"}}"#;
    let e = editor_answer("openai", 400, None, Uint8Array::from(&refused[..])).unwrap_err();
    assert_eq!(get(&e, "class").as_string().unwrap(), "refused");
    assert_eq!(
        get(&e, "editorMessage").as_string().unwrap(),
        "Your request was rejected."
    );
    let truncated = format!(
        r#"{{"data": [{{"b64_json": "{}"}}]}}"#,
        &data[..data.len() / 2 / 4 * 4]
    );
    let e = editor_answer("openai", 200, None, Uint8Array::from(truncated.as_bytes())).unwrap_err();
    assert_eq!(get(&e, "class").as_string().unwrap(), "bad_image");

    let bad = js_sys::JSON::parse(r#"{"adapter": "command"}"#).unwrap();
    let e =
        js_sys::Error::from(editor_request(photo.into(), "paint the cat", None, bad).unwrap_err());
    assert!(String::from(e.message()).contains("\"openai\" or \"gemini\""));
}
