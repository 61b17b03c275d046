//! QR images of presentations: SVG (the `qrcode` crate's renderer) and PNG
//! (a small encoder of our own: 1-bit greyscale, zlib stored blocks — a QR
//! code's image is a few kilobytes uncompressed, and no image library is
//! pulled in).

use qrcode::{Color, EcLevel, QrCode, Version};

/// Why a string cannot be drawn as a QR code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot make a QR code: {0}")]
pub struct QrRenderError(String);

/// A QR code at error correction level Q.
pub struct QrImage {
    code: QrCode,
}

impl core::fmt::Debug for QrImage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("QrImage")
            .field("version", &self.version())
            .finish_non_exhaustive()
    }
}

/// Light modules around the symbol (the standard's quiet zone).
const QUIET: usize = 4;

impl QrImage {
    /// The QR code of `s` at level Q, in the smallest version that holds it
    /// (alphanumeric mode for a presentation string).
    ///
    /// # Errors
    /// [`QrRenderError`] when it does not fit version 40.
    pub fn new(s: &str) -> Result<QrImage, QrRenderError> {
        let code = QrCode::with_error_correction_level(s.as_bytes(), EcLevel::Q)
            .map_err(|e| QrRenderError(e.to_string()))?;
        Ok(QrImage { code })
    }

    /// The version (1–40).
    pub fn version(&self) -> u8 {
        match self.code.version() {
            Version::Normal(v) | Version::Micro(v) => u8::try_from(v).unwrap_or(0),
        }
    }

    /// Modules per side, without the quiet zone.
    pub fn width(&self) -> usize {
        self.code.width()
    }

    /// Whether the module at (`x`, `y`) is dark.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        let w = self.width();
        x < w
            && y < w
            && self
                .code
                .to_colors()
                .get(y * w + x)
                .is_some_and(|c| *c == Color::Dark)
    }

    /// An SVG image, `module_px` units a module, quiet zone included.
    pub fn to_svg(&self, module_px: u32) -> String {
        self.code
            .render::<qrcode::render::svg::Color<'_>>()
            .module_dimensions(module_px.max(1), module_px.max(1))
            .quiet_zone(true)
            .build()
    }

    /// A PNG image (8-bit greyscale), `scale` pixels a module (1–32), quiet
    /// zone included.
    pub fn to_png(&self, scale: usize) -> Vec<u8> {
        let scale = scale.clamp(1, 32);
        let w = self.width();
        let colors = self.code.to_colors();
        let side = (w + 2 * QUIET) * scale;
        // Raw scanlines: a filter byte (0, none) then one byte a pixel.
        let mut raw = Vec::with_capacity(side * (side + 1));
        for py in 0..side {
            raw.push(0u8);
            let my = (py / scale).checked_sub(QUIET);
            for px in 0..side {
                let mx = (px / scale).checked_sub(QUIET);
                let dark = match (mx, my) {
                    (Some(x), Some(y)) if x < w && y < w => {
                        colors.get(y * w + x).is_some_and(|c| *c == Color::Dark)
                    }
                    _ => false,
                };
                raw.push(if dark { 0 } else { 255 });
            }
        }
        let side32 = u32::try_from(side).unwrap_or(u32::MAX);
        let mut ihdr = Vec::with_capacity(13);
        ihdr.extend_from_slice(&side32.to_be_bytes());
        ihdr.extend_from_slice(&side32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale, no interlace
        let mut png = Vec::with_capacity(raw.len() + raw.len() / 65_535 * 5 + 64);
        png.extend_from_slice(b"\x89PNG\r\n\x1a\n");
        chunk(&mut png, b"IHDR", &ihdr);
        chunk(&mut png, b"IDAT", &zlib_stored(&raw));
        chunk(&mut png, b"IEND", &[]);
        png
    }
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(out.get(start..).unwrap_or_default());
    out.extend_from_slice(&crc.to_be_bytes());
}

/// zlib (RFC 1950) with deflate stored blocks (RFC 1951 §3.2.4).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = data.chunks(65_535).collect();
    if blocks.is_empty() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    for (i, b) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = u16::try_from(b.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(b);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= 65_521;
        b %= 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
    }
}
