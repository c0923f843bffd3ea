//! Decoding untrusted images within limits and encoding JPEG.

use std::borrow::Cow;
use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, RgbImage};

use super::{MediaError, Result};

/// Largest accepted input file; covers are a few hundred kilobytes in practice.
pub(super) const MAX_INPUT_BYTES: usize = 40 * 1024 * 1024;
/// Largest accepted width or height; 8000x8000 RGBA is 256 MB decoded, under the
/// decoder's default 512 MB allocation cap.
pub(super) const MAX_DIMENSION: u32 = 8000;
/// Quality of re-encoded covers and avatars: visually lossless for photographs.
const STORED_QUALITY: u8 = 88;

/// An image ready to be stored as JPEG.
pub(super) struct PreparedJpeg<'a> {
    pub(super) bytes: Cow<'a, [u8]>,
    pub(super) width: u32,
    pub(super) height: u32,
}

/// Checks an uploaded or downloaded image and returns the JPEG to store: the input itself
/// when it already is a JPEG that decodes (re-encoding would only lose quality), a
/// re-encoding otherwise.
pub(super) fn prepare_jpeg(bytes: &[u8]) -> Result<PreparedJpeg<'_>> {
    let decoded = decode(bytes)?;
    let (width, height) = (decoded.image.width(), decoded.image.height());
    let bytes = if decoded.format == ImageFormat::Jpeg {
        Cow::Borrowed(bytes)
    } else {
        Cow::Owned(encode_jpeg(&to_rgb(decoded.image), STORED_QUALITY)?)
    };
    Ok(PreparedJpeg {
        bytes,
        width,
        height,
    })
}

/// A decoded image and the format it came in.
pub(super) struct Decoded {
    pub(super) format: ImageFormat,
    /// Pixels as displayed: the EXIF orientation is already applied.
    pub(super) image: DynamicImage,
}

/// Decodes JPEG, PNG or WebP, refusing other formats, oversized files and oversized images
/// before allocating their pixels.
pub(super) fn decode(bytes: &[u8]) -> Result<Decoded> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(MediaError::TooLarge {
            detail: format!("{} bytes, at most {MAX_INPUT_BYTES}", bytes.len()),
        });
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|error| MediaError::Decode {
            reason: error.to_string(),
        })?;
    let format = match reader.format() {
        Some(format @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => format,
        Some(other) => {
            return Err(MediaError::Unsupported {
                format: other.to_mime_type().to_owned(),
            });
        }
        None => {
            return Err(MediaError::Decode {
                reason: "not a recognised image format".to_owned(),
            });
        }
    };
    // The decoder reads only the header here; the pixels come in `from_decoder`.
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(MediaError::TooLarge {
            detail: format!("{width}x{height} pixels, at most {MAX_DIMENSION}x{MAX_DIMENSION}"),
        });
    }
    // A broken EXIF block should not lose an otherwise good picture.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    image.apply_orientation(orientation);
    if image.width() == 0 || image.height() == 0 {
        return Err(MediaError::Decode {
            reason: "the image is empty".to_owned(),
        });
    }
    Ok(Decoded { format, image })
}

/// 8-bit RGB for JPEG and resizing; transparent pixels are laid on white, as a browser
/// would show them on the usual light page, rather than turning black.
pub(super) fn to_rgb(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over_white = |c: u8| {
            let (c, a) = (u32::from(c), u32::from(a));
            // Rounded `c * a + 255 * (1 - a)` in 0..=255 units; the result is at most 255.
            ((c * a + 255 * (255 - a) + 127) / 255) as u8
        };
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    })
}

/// Baseline JPEG of `image` at `quality` (1 to 100).
pub(super) fn encode_jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(image.as_raw().len() / 8);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(image)
        .map_err(|error| MediaError::Encode {
            reason: error.to_string(),
        })?;
    Ok(out)
}

fn decode_error(error: ImageError) -> MediaError {
    match error {
        ImageError::Limits(limit) => MediaError::TooLarge {
            detail: limit.to_string(),
        },
        ImageError::Unsupported(unsupported) => MediaError::Unsupported {
            format: unsupported.to_string(),
        },
        other => MediaError::Decode {
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A gradient, so encoders and resizers have real content to work on.
    pub(in crate::media) fn sample(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        })
    }

    /// `image` in `format`.
    pub(in crate::media) fn encode(image: &RgbImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn decode_reports_the_format_and_size() {
        for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::WebP] {
            let decoded = decode(&encode(&sample(30, 20), format)).unwrap();
            assert_eq!(decoded.format, format);
            assert_eq!((decoded.image.width(), decoded.image.height()), (30, 20));
        }
    }

    #[test]
    fn decode_refuses_oversized_input() {
        let wide = encode(&RgbImage::new(MAX_DIMENSION + 1, 1), ImageFormat::Png);
        let tall = encode(&RgbImage::new(1, MAX_DIMENSION + 1), ImageFormat::Png);
        for (name, bytes) in [("wide", wide), ("tall", tall)] {
            let error = decode(&bytes).err().unwrap();
            assert!(
                matches!(error, MediaError::TooLarge { .. }),
                "{name}: {error}"
            );
        }
        let mut huge = encode(&sample(8, 8), ImageFormat::Png);
        huge.resize(MAX_INPUT_BYTES + 1, 0);
        let error = decode(&huge).err().unwrap();
        assert_eq!(
            error.to_string(),
            format!(
                "image too large: {} bytes, at most {MAX_INPUT_BYTES}",
                MAX_INPUT_BYTES + 1
            )
        );
    }

    #[test]
    fn decode_accepts_the_largest_dimension() {
        let edge = encode(&RgbImage::new(MAX_DIMENSION, 1), ImageFormat::Png);
        assert_eq!(decode(&edge).unwrap().image.width(), MAX_DIMENSION);
    }

    #[test]
    fn transparency_is_laid_on_white() {
        let mut rgba = image::RgbaImage::new(2, 1);
        rgba.put_pixel(0, 0, image::Rgba([10, 20, 30, 0]));
        rgba.put_pixel(1, 0, image::Rgba([10, 20, 30, 255]));
        let rgb = to_rgb(DynamicImage::ImageRgba8(rgba));
        assert_eq!(rgb.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(rgb.get_pixel(1, 0).0, [10, 20, 30]);
    }

    #[test]
    fn a_png_with_alpha_becomes_a_jpeg() {
        let rgba = image::RgbaImage::from_pixel(16, 8, image::Rgba([0, 0, 255, 128]));
        let mut png = Cursor::new(Vec::new());
        rgba.write_to(&mut png, ImageFormat::Png).unwrap();
        let prepared = prepare_jpeg(png.get_ref()).unwrap();
        assert!(matches!(prepared.bytes, Cow::Owned(_)));
        assert_eq!((prepared.width, prepared.height), (16, 8));
        assert_eq!(
            image::guess_format(&prepared.bytes).unwrap(),
            ImageFormat::Jpeg
        );
    }
}
