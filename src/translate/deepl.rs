//! DeepL: `POST /v2/translate` with `Authorization: DeepL-Auth-Key KEY` and a JSON body
//! `{text: [...], target_lang, source_lang}`, answered by `{"translations": [{
//! "detected_source_language", "text"}]}` (DeepL's API documentation). Language codes are
//! upper case there ("ZH", "JA", "EN-US"); DeepL reads them in either case.

use serde_json::{Value, json};

/// The body for `text` from `source` into `target`.
pub(super) fn body(text: &str, source: &str, target: &str) -> Value {
    json!({
        "text": [text],
        "source_lang": source.to_ascii_uppercase(),
        "target_lang": target.to_ascii_uppercase(),
    })
}

/// The value of the Authorization header.
pub(super) fn authorization(key: &str) -> String {
    format!("DeepL-Auth-Key {key}")
}

/// The translation in an answer: the first text's.
pub(super) fn answer(v: &Value) -> Option<&str> {
    v.get("translations")?.get(0)?.get("text")?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_shapes() {
        assert_eq!(
            body("稀土", "zh", "en-us"),
            json!({"text": ["稀土"], "source_lang": "ZH", "target_lang": "EN-US"})
        );
        assert_eq!(authorization("abc:fx"), "DeepL-Auth-Key abc:fx");
        let a = json!({"translations": [{"detected_source_language": "ZH", "text": "rare earth"}]});
        assert_eq!(answer(&a), Some("rare earth"));
        assert_eq!(answer(&json!({"translations": []})), None);
    }
}
