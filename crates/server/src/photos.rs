//! Files a repairer sends with a ticket: photos are decoded (anything that
//! is not a JPEG, PNG or WebP image is refused), turned upright, shrunk to at
//! most [`MAX_SIDE`] pixels on the long side and stored as JPEG; the
//! customer's signature is a PNG drawn on a canvas, checked the same way.

use std::io::Cursor;

use axum::http::StatusCode;
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
    let rgb = image.to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&rgb)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("encoding a photo: {e}")))?;
    Ok(NewAttachment {
        kind: AttachmentKind::Photo,
        content_type: "image/jpeg".into(),
        bytes: out,
    })
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
    }))
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
