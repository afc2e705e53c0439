//! Charset decoding of raw bytes: BOM, then the HTTP header's charset, then the XML
//! declaration (or an HTML meta tag), else UTF-8.

/// Text decoded from a body, with the encoding that was used.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    /// The WHATWG name of the encoding used (e.g. "GBK", "UTF-8").
    pub encoding: &'static str,
    /// True when some bytes were not valid in that encoding and were replaced.
    pub had_errors: bool,
}

/// Decodes `bytes` to text; `content_type` is the HTTP Content-Type header, if any.
pub fn decode(_bytes: &[u8], _content_type: Option<&str>) -> Decoded {
    todo!("source helper")
}
