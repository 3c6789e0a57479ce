//! Files a repairer sends with a ticket: photos are decoded (anything that
//! is not a JPEG, PNG or WebP image is refused), turned upright, shrunk to at
//! most [`MAX_SIDE`] pixels on the long side and stored as JPEG; the
//! customer's signature is a PNG drawn on a canvas, checked the same way.
//! Each photo also gets a thumbnail of at most [`THUMB_SIDE`] pixels for the
//! lists of files (served with `?size=thumb`, see [`Size`]).

use std::io::Cursor;

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use store::attachments::{AttachmentKind, NewAttachment};

use crate::AppError;

/// Largest photo accepted, as uploaded.
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;
/// Largest signature accepted (a PNG of a few strokes is far smaller).
pub const MAX_SIGNATURE_BYTES: usize = 1024 * 1024;
/// At most this many photos with one command.
pub const MAX_PHOTOS: usize = 8;
/// Long side of a stored photo, in pixels.
pub const MAX_SIDE: u32 = 1600;
/// Long side of a photo's thumbnail, in pixels.
pub const THUMB_SIDE: u32 = 320;
/// JPEG quality of a stored photo and of its thumbnail.
const QUALITY: u8 = 85;
const THUMB_QUALITY: u8 = 75;

pub fn too_large(field: &str) -> AppError {
    AppError::BadRequest {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "photo_too_large",
        field: Some(field.to_string()),
        message: format!(
            "{field}: a file is larger than {} MB",
            MAX_PHOTO_BYTES >> 20
        ),
    }
}

pub fn not_an_image(field: &str) -> AppError {
    AppError::BadRequest {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "not_an_image",
        field: Some(field.to_string()),
        message: format!("{field}: only JPEG, PNG and WebP images are accepted"),
    }
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    // A 10 MB file may still claim huge dimensions: refuse before allocating.
    limits.max_image_width = Some(16_000);
    limits.max_image_height = Some(16_000);
    limits.max_alloc = Some(512 * 1024 * 1024);
    limits
}

fn decode(bytes: &[u8], only: Option<ImageFormat>) -> Option<(DynamicImage, Orientation)> {
    let mut reader = ImageReader::new(Cursor::new(bytes));
    match only {
        Some(format) => reader.set_format(format),
        None => reader = reader.with_guessed_format().ok()?,
    }
    if !matches!(
        reader.format(),
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)
    ) {
        return None;
    }
    reader.limits(limits());
    let mut decoder = reader.into_decoder().ok()?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).ok()?;
    Some((image, orientation))
}

/// Checks, turns upright and shrinks one uploaded photo (CPU work: call it
/// from a blocking task).
pub fn prepare_photo(bytes: &[u8]) -> Result<NewAttachment, AppError> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(too_large("photos"));
    }
    let (mut image, orientation) = decode(bytes, None).ok_or_else(|| not_an_image("photos"))?;
    image.apply_orientation(orientation);
    if image.width().max(image.height()) > MAX_SIDE {
        image = image.resize(MAX_SIDE, MAX_SIDE, FilterType::Triangle);
    }
    let bytes = jpeg(&image, QUALITY)?;
    // A photo no larger than a thumbnail is its own thumbnail.
    let thumb = if image.width().max(image.height()) > THUMB_SIDE {
        let small = image.resize(THUMB_SIDE, THUMB_SIDE, FilterType::Triangle);
        Some(jpeg(&small, THUMB_QUALITY)?)
    } else {
        None
    };
    Ok(NewAttachment {
        kind: AttachmentKind::Photo,
        content_type: "image/jpeg".into(),
        bytes,
        thumb,
    })
}

fn jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, AppError> {
    let rgb = image.to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&rgb)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("encoding a photo: {e}")))?;
    Ok(out)
}

/// The signature drawn on the page, as a `data:image/png;base64,…` URL;
/// `None` when nothing was drawn.
pub fn prepare_signature(data_url: &str) -> Result<Option<NewAttachment>, AppError> {
    let text = data_url.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let encoded = text
        .strip_prefix("data:image/png;base64,")
        .ok_or_else(|| not_an_image("signature"))?;
    if encoded.len() > MAX_SIGNATURE_BYTES * 4 / 3 + 4 {
        return Err(too_large("signature"));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| not_an_image("signature"))?;
    decode(&bytes, Some(ImageFormat::Png)).ok_or_else(|| not_an_image("signature"))?;
    Ok(Some(NewAttachment {
        kind: AttachmentKind::Signature,
        content_type: "image/png".into(),
        bytes,
        thumb: None,
    }))
}

/// Which version of a stored file to send: `?size=full` (the default) or
/// `?size=thumb` (the photo's thumbnail, or the file itself when it has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Full,
    Thumb,
}

/// The query string of a file's address.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SizeQuery {
    /// full (default) | thumb: a photo's thumbnail of at most 320 px, or
    /// the file itself when it has none (a signature, a small photo).
    pub size: Option<String>,
}

impl SizeQuery {
    pub fn size(&self) -> Result<Size, AppError> {
        match self.size.as_deref().map(str::trim) {
            None | Some("" | "full") => Ok(Size::Full),
            Some("thumb") => Ok(Size::Thumb),
            Some(other) => Err(domain::DomainError::unknown(
                "size",
                other.chars().take(40).collect::<String>(),
            )
            .into()),
        }
    }
}

/// A stored file as an HTTP answer: kept by the browser for a day (a file
/// never changes once stored), never sniffed as anything but an image.
pub fn file_response(content_type: String, bytes: Vec<u8>) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, max-age=86400".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        Body::from(bytes),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn photos_are_shrunk_to_the_long_side() {
        let a = prepare_photo(&png(2000, 1000)).unwrap();
        assert_eq!(a.content_type, "image/jpeg");
        let back = image::load_from_memory(&a.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (1600, 800));
        let small = prepare_photo(&png(40, 30)).unwrap();
        let back = image::load_from_memory(&small.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (40, 30));
    }

    #[test]
    fn photos_get_a_thumbnail_of_at_most_320_px() {
        let a = prepare_photo(&png(2000, 1000)).unwrap();
        let thumb = a.thumb.as_deref().expect("a thumbnail");
        assert!(thumb.len() < a.bytes.len());
        let back = image::load_from_memory_with_format(thumb, ImageFormat::Jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (THUMB_SIDE, 160));
        let tall = prepare_photo(&png(300, 900)).unwrap();
        let back = image::load_from_memory(tall.thumb.as_deref().unwrap()).unwrap();
        assert_eq!((back.width(), back.height()), (107, THUMB_SIDE));
        // Already as small as a thumbnail: no second copy.
        assert!(prepare_photo(&png(320, 200)).unwrap().thumb.is_none());
        let sig = base64::engine::general_purpose::STANDARD.encode(png(30, 10));
        let sig = prepare_signature(&format!("data:image/png;base64,{sig}"))
            .unwrap()
            .unwrap();
        assert!(sig.thumb.is_none());
    }

    #[test]
    fn sizes_are_full_or_thumb() {
        let q = |s: Option<&str>| SizeQuery {
            size: s.map(str::to_string),
        };
        assert_eq!(q(None).size().unwrap(), Size::Full);
        assert_eq!(q(Some("full")).size().unwrap(), Size::Full);
        assert_eq!(q(Some("thumb")).size().unwrap(), Size::Thumb);
        let e = q(Some("huge")).size().unwrap_err();
        assert_eq!(e.field().as_deref(), Some("size"));
    }

    #[test]
    fn what_is_not_an_image_is_refused() {
        assert_eq!(
            prepare_photo(b"%PDF-1.4 hello").unwrap_err().code(),
            "not_an_image"
        );
        let mut broken = png(10, 10);
        broken.truncate(30);
        assert_eq!(prepare_photo(&broken).unwrap_err().code(), "not_an_image");
        assert_eq!(
            prepare_photo(&vec![0u8; MAX_PHOTO_BYTES + 1])
                .unwrap_err()
                .code(),
            "photo_too_large"
        );
        assert!(prepare_signature("").unwrap().is_none());
        assert_eq!(
            prepare_signature("data:text/html;base64,PGI+")
                .unwrap_err()
                .code(),
            "not_an_image"
        );
        let sig = base64::engine::general_purpose::STANDARD.encode(png(30, 10));
        assert!(
            prepare_signature(&format!("data:image/png;base64,{sig}"))
                .unwrap()
                .is_some()
        );
    }
}
