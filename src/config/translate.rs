//! `[translate]`: the translation service that glosses Chinese and Japanese items with hits
//! (see docs/translation.md). The service is the operator's choice and the only place item
//! text is sent; the key is read from a file, never written in the config.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, line_col};
use crate::units::de_duration;

/// Which API the service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TranslateKind {
    /// LibreTranslate's `POST /translate`.
    Libretranslate,
    /// DeepL's `POST /v2/translate`.
    Deepl,
    /// The OpenAI chat-completions API (`POST /v1/chat/completions`), which local servers
    /// such as llama.cpp, vLLM and Ollama also speak.
    Openai,
}

impl TranslateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TranslateKind::Libretranslate => "libretranslate",
            TranslateKind::Deepl => "deepl",
            TranslateKind::Openai => "openai",
        }
    }

    /// The path the API documents, appended to a `url` given without one.
    pub fn endpoint_path(self) -> &'static str {
        match self {
            TranslateKind::Libretranslate => "/translate",
            TranslateKind::Deepl => "/v2/translate",
            TranslateKind::Openai => "/v1/chat/completions",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranslateConfig {
    pub kind: TranslateKind,
    /// The service: its base URL (the API's documented path is appended) or its full
    /// endpoint.
    pub url: String,
    /// A file holding the API key. A relative path is looked up in `$CREDENTIALS_DIRECTORY`
    /// when that is set, else beside the config file.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// The language glosses are written in.
    #[serde(default = "default_target")]
    pub target: String,
    /// The source languages glossed: a source's `lang`, else what the item's script says.
    #[serde(default = "default_languages")]
    pub languages: Vec<String>,
    /// The longest one run of glossing takes, requests included; what is left waits for
    /// the next run.
    #[serde(default = "default_timeout", deserialize_with = "de_duration")]
    pub timeout: Duration,
    /// Characters sent per UTC day; past it, nothing is sent until the next day.
    #[serde(default = "default_max_chars")]
    pub max_chars_per_day: u64,
    /// The model asked, for `kind = "openai"`.
    #[serde(default)]
    pub model: Option<String>,
}

fn default_target() -> String {
    "en".into()
}
fn default_languages() -> Vec<String> {
    vec!["zh".into(), "ja".into()]
}
fn default_timeout() -> Duration {
    Duration::from_secs(20)
}
fn default_max_chars() -> u64 {
    50_000
}

impl TranslateConfig {
    /// The key file's path, resolved as `[smtp] password_file` is.
    pub fn key_path(&self, config_dir: &Path) -> Option<PathBuf> {
        let p = self.key_file.as_ref()?;
        Some(super::paths::secret_path(p, config_dir))
    }

    /// The URL requests go to: `url`, with the API's documented path when it has none (and
    /// `/chat/completions` after an OpenAI-style `/v1`).
    pub fn endpoint(&self) -> Result<url::Url, String> {
        let mut u =
            url::Url::parse(self.url.trim()).map_err(|e| format!("{:?} is not a URL: {e}", self.url))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(format!(
                "{:?}: scheme {:?} is not http or https",
                self.url,
                u.scheme()
            ));
        }
        if u.host_str().is_none_or(str::is_empty) {
            return Err(format!("{:?} names no host", self.url));
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err(format!(
                "{:?} carries credentials; put the key in key_file",
                self.url
            ));
        }
        let path = u.path().trim_end_matches('/').to_string();
        if path.is_empty() {
            u.set_path(self.kind.endpoint_path());
        } else if self.kind == TranslateKind::Openai && path.ends_with("/v1") {
            u.set_path(&format!("{path}/chat/completions"));
        }
        Ok(u)
    }

    /// Primary language subtags, lower case: "zh-CN" and "ZH" are "zh".
    pub fn wants(&self, lang: &str) -> bool {
        let primary = primary_language(lang);
        self.languages.iter().any(|l| primary_language(l) == primary)
    }
}

/// The primary subtag of a language tag, lower case ("zh-Hant-TW" → "zh").
pub fn primary_language(tag: &str) -> String {
    tag.trim()
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Checks `[translate]` beyond its types: every error names the key, at its line.
pub(super) fn check(t: &TranslateConfig, path: &Path, text: &str) -> Result<(), ConfigError> {
    let at = |key: &str, message: String| {
        // The key's own line inside the [translate] table, else the table's header.
        let table = text.find("[translate]").unwrap_or(0);
        let offset = text[table..]
            .lines()
            .scan(table, |pos, l| {
                let start = *pos;
                *pos += l.len() + 1;
                Some((start, l))
            })
            .skip(1)
            .take_while(|(_, l)| !l.trim_start().starts_with('['))
            .find(|(_, l)| {
                l.trim_start()
                    .strip_prefix(key)
                    .is_some_and(|r| r.trim_start().starts_with('='))
            })
            .map_or(table, |(start, _)| start);
        let (line, col) = line_col(text, offset);
        ConfigError::At {
            path: path.to_path_buf(),
            line,
            col,
            message: format!("translate.{key}: {message}"),
        }
    };
    t.endpoint().map_err(|e| at("url", e))?;
    let tag =
        |s: &str| !s.is_empty() && s.len() <= 16 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !tag(&t.target) {
        return Err(at(
            "target",
            format!("{:?} is not a language code such as \"en\"", t.target),
        ));
    }
    if let Some(bad) = t.languages.iter().find(|l| !tag(l)) {
        return Err(at(
            "languages",
            format!("{bad:?} is not a language code such as \"zh\" or \"ja\""),
        ));
    }
    if t.languages.is_empty() {
        return Err(at(
            "languages",
            "list at least one language to gloss, such as [\"zh\", \"ja\"]".into(),
        ));
    }
    match (t.kind, &t.model) {
        (TranslateKind::Openai, None) => {
            return Err(at(
                "model",
                "kind = \"openai\" needs the `model` to ask, such as \"qwen2.5:7b\"".into(),
            ));
        }
        (TranslateKind::Openai, Some(m)) if m.trim().is_empty() || m.chars().any(char::is_control) => {
            return Err(at("model", format!("{m:?} is not a model name")));
        }
        (TranslateKind::Libretranslate | TranslateKind::Deepl, Some(_)) => {
            return Err(at(
                "model",
                format!("only kind = \"openai\" takes a model, not {:?}", t.kind.as_str()),
            ));
        }
        _ => {}
    }
    if t.kind == TranslateKind::Deepl && t.key_file.is_none() {
        return Err(at(
            "key_file",
            "kind = \"deepl\" needs the file holding the DeepL key".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use std::path::Path;

    fn parse(t: &str) -> Result<Config, String> {
        Config::parse(t, Path::new("/etc/sw/t.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_endpoints() {
        let c = parse("[translate]\nkind = \"libretranslate\"\nurl = \"http://127.0.0.1:5000\"\n").unwrap();
        let t = c.translate.unwrap();
        assert_eq!(t.endpoint().unwrap().as_str(), "http://127.0.0.1:5000/translate");
        assert_eq!((t.target.as_str(), t.languages.len()), ("en", 2));
        assert!(t.wants("zh-CN") && t.wants("JA") && !t.wants("en"));
        let c = parse(
            "[translate]\nkind = \"openai\"\nurl = \"http://localhost:11434/v1\"\nmodel = \"qwen2.5\"\n",
        )
        .unwrap();
        assert_eq!(
            c.translate.unwrap().endpoint().unwrap().as_str(),
            "http://localhost:11434/v1/chat/completions"
        );
        let c = parse(
            "[translate]\nkind = \"deepl\"\nurl = \"https://api-free.deepl.com\"\nkey_file = \"deepl.key\"\n",
        )
        .unwrap();
        let t = c.translate.unwrap();
        assert_eq!(
            t.endpoint().unwrap().as_str(),
            "https://api-free.deepl.com/v2/translate"
        );
        assert!(t.key_file.is_some());
    }

    #[test]
    fn bad_values_name_file_line_and_key() {
        for (body, line, key) in [
            (
                "kind = \"libretranslate\"\nurl = \"ftp://x/\"\n",
                3,
                "translate.url",
            ),
            (
                "kind = \"libretranslate\"\nurl = \"http://u:p@x/\"\n",
                3,
                "translate.url",
            ),
            ("kind = \"openai\"\nurl = \"http://x/\"\n", 1, "translate.model"),
            (
                "kind = \"deepl\"\nurl = \"https://x/\"\nmodel = \"m\"\nkey_file = \"k\"\n",
                4,
                "translate.model",
            ),
            (
                "kind = \"deepl\"\nurl = \"https://x/\"\n",
                1,
                "translate.key_file",
            ),
            (
                "kind = \"libretranslate\"\nurl = \"http://x/\"\nlanguages = [\"zh\", \"\"]\n",
                4,
                "translate.languages",
            ),
            (
                "kind = \"libretranslate\"\nurl = \"http://x/\"\ntarget = \"e n\"\n",
                4,
                "translate.target",
            ),
            (
                "kind = \"libretranslate\"\nurl = \"http://x/\"\ntimeout = \"0s\"\n",
                4,
                "translate.timeout",
            ),
            ("kind = \"google\"\nurl = \"http://x/\"\n", 2, "kind"),
            (
                "kind = \"libretranslate\"\nurl = \"http://x/\"\nkey = \"secret\"\n",
                4,
                "key",
            ),
        ] {
            let text = format!("[translate]\n{body}");
            let e = parse(&text).unwrap_err();
            assert!(
                e.starts_with(&format!("/etc/sw/t.toml:{line}:")) && e.contains(key),
                "{body:?}: {e}"
            );
        }
    }
}
