//! Deterministic JPEG covers and avatars, drawn from a hash of what they picture, and an in-memory cache of them.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};

use crate::catalog;
use crate::prng::hash;

/// Cover width in pixels.
pub const COVER_WIDTH: u32 = 400;
/// Cover height in pixels.
pub const COVER_HEIGHT: u32 = 270;
/// Avatar side in pixels.
pub const AVATAR_SIZE: u32 = 128;

/// Who serves a cover: the same code has a different picture on each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoverSource {
    /// The metadata site's cover, `/media/cover/{CODE}.jpg`.
    Meta,
    /// Site alpha's cover, `/alpha/img/{CODE}.jpg`.
    Alpha,
    /// Site beta's cover, `/beta/img/{CODE}.jpg`.
    Beta,
}

impl CoverSource {
    fn as_str(self) -> &'static str {
        match self {
            CoverSource::Meta => "meta",
            CoverSource::Alpha => "alpha",
            CoverSource::Beta => "beta",
        }
    }
}

/// The JPEG cover of `n` from `source`: 400×270, a two-colour gradient with stripes.
pub fn cover_jpeg(source: CoverSource, n: u32) -> Vec<u8> {
    let seed = hash(&[
        b"cover",
        source.as_str().as_bytes(),
        catalog::code(n).as_bytes(),
    ]);
    encode(&picture(seed, COVER_WIDTH, COVER_HEIGHT))
}

/// The JPEG avatar of person `id`: 128×128, a gradient with a round face.
pub fn avatar_jpeg(id: u32) -> Vec<u8> {
    let seed = hash(&[b"avatar", &id.to_le_bytes()]);
    let mut image = picture(seed, AVATAR_SIZE, AVATAR_SIZE);
    let face = colour(seed.rotate_left(17));
    let centre = f64::from(AVATAR_SIZE) / 2.0;
    for (x, y, pixel) in image.enumerate_pixels_mut() {
        let dx = f64::from(x) - centre;
        let dy = f64::from(y) - centre * 0.8;
        if dx * dx + dy * dy < (centre * 0.45).powi(2) {
            *pixel = face;
        }
    }
    encode(&image)
}

/// What the cache holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ImageKey {
    Cover(CoverSource, u32),
    Avatar(u32),
}

/// Generated images, each drawn and encoded once per server.
#[derive(Default)]
pub(crate) struct ImageCache {
    images: Mutex<HashMap<ImageKey, Bytes>>,
}

impl ImageCache {
    /// The JPEG for `key`, drawn on first use.
    pub(crate) fn get(&self, key: ImageKey) -> Bytes {
        if let Some(bytes) = self
            .images
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return bytes.clone();
        }
        // Drawn outside the lock; two racing requests draw the same bytes.
        let bytes = Bytes::from(match key {
            ImageKey::Cover(source, n) => cover_jpeg(source, n),
            ImageKey::Avatar(id) => avatar_jpeg(id),
        });
        self.images
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, bytes.clone());
        bytes
    }
}

fn colour(bits: u64) -> Rgb<u8> {
    let [r, g, b, ..] = bits.to_le_bytes();
    Rgb([r, g, b])
}

/// A diagonal gradient between two colours from `seed`, with soft stripes.
fn picture(seed: u64, width: u32, height: u32) -> RgbImage {
    let Rgb(from) = colour(seed);
    let Rgb(to) = colour(seed >> 24);
    let stripe = 12 + (seed >> 48) as u32 % 28;
    let span = f64::from(width + height);
    RgbImage::from_fn(width, height, |x, y| {
        let t = f64::from(x + y) / span;
        let shade = if ((x + 2 * y) / stripe).is_multiple_of(2) {
            1.0
        } else {
            0.85
        };
        Rgb(core::array::from_fn(|channel| {
            let value = f64::from(from[channel]) * (1.0 - t) + f64::from(to[channel]) * t;
            (value * shade) as u8
        }))
    })
}

fn encode(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(image)
        .expect("encoding an RGB image of valid size into memory cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_are_jpegs_and_deterministic() {
        let cover = cover_jpeg(CoverSource::Meta, 1);
        assert_eq!(&cover[..3], &[0xff, 0xd8, 0xff]);
        assert_eq!(&cover[cover.len() - 2..], &[0xff, 0xd9]);
        assert_eq!(cover, cover_jpeg(CoverSource::Meta, 1));
        assert_ne!(cover, cover_jpeg(CoverSource::Alpha, 1));
        let decoded = image::load_from_memory(&cover).expect("decodes");
        assert_eq!(
            (decoded.width(), decoded.height()),
            (COVER_WIDTH, COVER_HEIGHT)
        );
    }

    #[test]
    fn avatars_are_square_jpegs() {
        let avatar = avatar_jpeg(1);
        let decoded = image::load_from_memory(&avatar).expect("decodes");
        assert_eq!(
            (decoded.width(), decoded.height()),
            (AVATAR_SIZE, AVATAR_SIZE)
        );
        assert_ne!(avatar, avatar_jpeg(2));
    }

    #[test]
    fn cache_returns_the_same_bytes() {
        let cache = ImageCache::default();
        let key = ImageKey::Avatar(5);
        assert_eq!(cache.get(key), cache.get(key));
        assert_eq!(cache.get(key), Bytes::from(avatar_jpeg(5)));
    }
}
