//! LibreTranslate: `POST /translate` with a JSON body `{q, source, target, format, api_key}`,
//! answered by `{"translatedText": …}` (the API documentation of LibreTranslate).

use serde_json::{Value, json};

/// The body for `text` from `source` into `target`; the key, when there is one, travels in
/// the body as LibreTranslate asks.
pub(super) fn body(text: &str, source: &str, target: &str, key: Option<&str>) -> Value {
    let mut b = json!({ "q": text, "source": source, "target": target, "format": "text" });
    if let Some(k) = key {
        b["api_key"] = json!(k);
    }
    b
}

/// The translation in an answer.
pub(super) fn answer(v: &Value) -> Option<&str> {
    v.get("translatedText")?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_shapes() {
        let b = body("稀土", "zh", "en", Some("k"));
        assert_eq!(
            b,
            json!({"q": "稀土", "source": "zh", "target": "en", "format": "text", "api_key": "k"})
        );
        assert!(body("x", "ja", "en", None).get("api_key").is_none());
        assert_eq!(
            answer(&json!({"translatedText": "rare earth"})),
            Some("rare earth")
        );
        assert_eq!(answer(&json!({"error": "x"})), None);
    }
}
