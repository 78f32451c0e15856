#![cfg(not(target_arch = "wasm32"))]

//! Pictures as phones and editors store them. An embedded colour profile is converted to sRGB on
//! decode, as browsers do: a wide-gamut original and an sRGB edit of it (what an editor returns)
//! differ by the profile, not by paint. An animated PNG gives its first frame; a GIF is refused
//! by name.

use editseg::color::Style;
use editseg::synth;
use editseg::{imageio, BackendChoice, Differ, Options};
use image::{ImageEncoder, RgbaImage};

/// An ICC v2 display profile with these primaries (XYZ, adapted to D50) and one gamma for all
/// three channels: a header, a tag table and XYZ / curve tags, as colour-management tools write.
fn icc_profile(primaries: [[f64; 3]; 3], gamma: f64) -> Vec<u8> {
    let fixed = |v: f64| ((v * 65536.0).round() as i32).to_be_bytes();
    let xyz = |v: [f64; 3]| {
        let mut t = b"XYZ \0\0\0\0".to_vec();
        for c in v {
            t.extend(fixed(c));
        }
        t
    };
    let mut curve = b"curv\0\0\0\0".to_vec();
    curve.extend(1u32.to_be_bytes());
    curve.extend(((gamma * 256.0).round() as u16).to_be_bytes());
    curve.extend([0, 0]);
    let text = b"EditSeg test profile\0";
    let mut desc = b"desc\0\0\0\0".to_vec();
    desc.extend((text.len() as u32).to_be_bytes());
    desc.extend(text);
    desc.extend([0u8; 4 + 4 + 2 + 1 + 67]);
    while !desc.len().is_multiple_of(4) {
        desc.push(0);
    }
    let d50 = [0.9642, 1.0, 0.8249];
    let tags: Vec<(&[u8; 4], Vec<u8>)> = vec![
        (b"desc", desc),
        (b"wtpt", xyz(d50)),
        (b"rXYZ", xyz(primaries[0])),
        (b"gXYZ", xyz(primaries[1])),
        (b"bXYZ", xyz(primaries[2])),
        (b"rTRC", curve.clone()),
        (b"gTRC", curve.clone()),
        (b"bTRC", curve),
    ];
    let mut table = (tags.len() as u32).to_be_bytes().to_vec();
    let mut data = Vec::new();
    let mut offset = 128 + 4 + 12 * tags.len();
    for (sig, tag) in &tags {
        table.extend(*sig);
        table.extend((offset as u32).to_be_bytes());
        table.extend((tag.len() as u32).to_be_bytes());
        offset += tag.len();
        data.extend(tag);
    }
    let mut header = vec![0u8; 128];
    header[0..4].copy_from_slice(&(offset as u32).to_be_bytes());
    header[8..12].copy_from_slice(&0x0210_0000u32.to_be_bytes());
    header[12..16].copy_from_slice(b"mntr");
    header[16..20].copy_from_slice(b"RGB ");
    header[20..24].copy_from_slice(b"XYZ ");
    header[36..40].copy_from_slice(b"acsp");
    for (k, c) in d50.into_iter().enumerate() {
        header[68 + 4 * k..72 + 4 * k].copy_from_slice(&fixed(c));
    }
    [header, table, data].concat()
}

/// Display P3's primaries adapted to D50 (the columns of its RGB-to-XYZ matrix).
const P3: [[f64; 3]; 3] = [
    [0.5151, 0.2412, -0.0011],
    [0.2920, 0.6922, 0.0419],
    [0.1571, 0.0666, 0.7841],
];

fn png_with_profile(img: &RgbaImage, icc: Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = image::codecs::png::PngEncoder::new(&mut out);
    if let Some(icc) = icc {
        encoder.set_icc_profile(icc).unwrap();
    }
    encoder
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgba8,
        )
        .unwrap();
    out
}

/// `img`'s colours written as the P3 profile's values (what a phone stores).
fn to_profile(img: &RgbaImage, icc: &[u8]) -> RgbaImage {
    let srgb = qcms::Profile::new_sRGB();
    let mut target = qcms::Profile::new_from_slice(icc, false).expect("the test profile parses");
    target.precache_output_transform();
    let transform = qcms::Transform::new(
        &srgb,
        &target,
        qcms::DataType::RGBA8,
        qcms::Intent::default(),
    )
    .unwrap();
    let mut out = img.clone();
    transform.apply(&mut out);
    out
}

fn largest_difference(a: &RgbaImage, b: &RgbaImage) -> u8 {
    a.as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap()
}

#[test]
fn a_p3_tagged_original_and_an_srgb_edit_give_the_mask_of_the_srgb_pair() {
    let photo = imageio::read(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/photos/coffee.png"
    )))
    .unwrap();
    let case = synth::case("coffee", &photo, 3, Style::Paint, 1);
    let icc = icc_profile(P3, 2.2);
    let p3_pixels = to_profile(&case.original, &icc);
    // Read without its profile the file would be off by this much: the test has teeth.
    assert!(largest_difference(&p3_pixels, &case.original) > 20);

    let decoded = imageio::decode(&png_with_profile(&p3_pixels, Some(icc)), "p3.png").unwrap();
    let off = largest_difference(&decoded, &case.original);
    assert!(off <= 3, "decoded {off} levels away from the sRGB original");

    let differ = pollster::block_on(Differ::new(BackendChoice::Cpu)).unwrap();
    let mut options = Options::default();
    options.set("color", &case.color).unwrap();
    let mask = |original: &RgbaImage| {
        pollster::block_on(differ.mask_from_edit(original, &case.edited, &options))
            .unwrap()
            .mask
    };
    let (tagged, srgb) = (mask(&decoded), mask(&case.original));
    let (i, u) = editseg::metrics::overlap(&tagged, &srgb);
    assert!(i as f64 / u as f64 > 0.99, "IoU {}", i as f64 / u as f64);
}

#[test]
fn a_damaged_or_foreign_profile_is_ignored_as_browsers_do() {
    let img = RgbaImage::from_fn(16, 12, |x, y| {
        image::Rgba([x as u8 * 15, y as u8 * 20, 90, 255])
    });
    let mut damaged = icc_profile(P3, 2.2);
    damaged.truncate(100);
    let mut grey = icc_profile(P3, 2.2);
    grey[16..20].copy_from_slice(b"GRAY");
    for icc in [damaged, grey, b"not a profile".to_vec()] {
        let decoded = imageio::decode(&png_with_profile(&img, Some(icc)), "tagged.png").unwrap();
        assert_eq!(decoded, img);
    }
}

#[test]
fn an_animated_png_gives_its_first_frame_and_a_gif_is_refused_by_name() {
    let frame = |v: u8| RgbaImage::from_pixel(6, 4, image::Rgba([v, 255 - v, 30, 255]));
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, 6, 4);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_animated(3, 0).unwrap();
        let mut writer = encoder.write_header().unwrap();
        for v in [10, 120, 240] {
            writer.write_image_data(frame(v).as_raw()).unwrap();
        }
        writer.finish().unwrap();
    }
    assert_eq!(imageio::decode(&bytes, "animated.png").unwrap(), frame(10));

    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
    let err = imageio::decode(gif, "animated.gif")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("animated.gif") && err.contains("not an image") && err.contains("Gif"),
        "{err}"
    );
}
