//! Requests as a site wants them: the method, body and headers a source's config asks for
//! (`method`, `body`, `json`, `headers`, `cookie_file`, `user_agent`).
//!
//! A source that asks for nothing but a plain GET has no [`Request`] at all, so the common
//! fetch builds nothing here. The fetch applies a request to every hop, with the rules a
//! browser follows for redirects (see [`Request::after_redirect`]), and never carries a
//! credential header to another origin than the source's.

use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use reqwest::{Method, StatusCode};

use super::SourceError;
use crate::config::{CREDENTIAL_HEADERS, SourceConfig};

/// The method, headers and body of a source's request.
#[derive(Clone)]
pub struct Request {
    pub(super) method: Method,
    pub(super) headers: HeaderMap,
    pub(super) body: Option<Vec<u8>>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Header values may be credentials: only the names are shown.
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_bytes", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

impl Request {
    /// The request `source` asks for; `None` for a plain GET, which needs nothing built.
    /// Reads the source's `cookie_file` (each time, so that a renewed cookie is picked up
    /// without a reload).
    pub fn of_source(source: &SourceConfig) -> Result<Option<Request>, SourceError> {
        let has_body = source.body.is_some() || source.json.is_some();
        if !source.has_request_options() && !has_body {
            return Ok(None);
        }
        let bad = |what: String| SourceError::Request(format!("source {:?}: {what}", source.name));
        let mut headers = HeaderMap::new();
        for (k, v) in &source.headers.0 {
            // Checked at load; a config built otherwise is refused here rather than sent.
            let name =
                HeaderName::from_bytes(k.as_bytes()).map_err(|_| bad(format!("bad header name {k:?}")))?;
            let value = HeaderValue::from_str(v).map_err(|_| bad(format!("bad value for header {k:?}")))?;
            headers.insert(name, value);
        }
        if let Some(ua) = &source.user_agent {
            let value = HeaderValue::from_str(ua).map_err(|_| bad("bad user_agent".into()))?;
            headers.insert(USER_AGENT, value);
        }
        if let Some(path) = &source.cookie_file {
            // The file's content is a secret: errors name the file, never what it holds. As
            // for `[smtp] password_file`, a file every user can read is refused.
            let meta = std::fs::metadata(path)
                .map_err(|e| bad(format!("cannot read cookie_file {}: {e}", path.display())))?;
            if std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o004 != 0 {
                return Err(bad(format!(
                    "cookie_file {} is readable by every user; make it private (chmod 600)",
                    path.display()
                )));
            }
            let text = std::fs::read_to_string(path)
                .map_err(|e| bad(format!("cannot read cookie_file {}: {e}", path.display())))?;
            let mut value = HeaderValue::from_str(text.trim()).map_err(|_| {
                bad(format!(
                    "cookie_file {} holds line breaks or control characters",
                    path.display()
                ))
            })?;
            value.set_sensitive(true);
            headers.insert(COOKIE, value);
        }
        for name in CREDENTIAL_HEADERS {
            if let Some(v) = headers.get_mut(*name) {
                v.set_sensitive(true);
            }
        }
        let body = match (&source.body, &source.json) {
            (Some(form), _) => {
                if !headers.contains_key(CONTENT_TYPE) {
                    headers.insert(
                        CONTENT_TYPE,
                        HeaderValue::from_static("application/x-www-form-urlencoded"),
                    );
                }
                Some(form.clone().into_bytes())
            }
            (None, Some(json)) => {
                if !headers.contains_key(CONTENT_TYPE) {
                    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                }
                Some(serde_json::to_vec(json).map_err(|e| bad(format!("json body: {e}")))?)
            }
            (None, None) => None,
        };
        let method = match source.method {
            crate::config::Method::Get => Method::GET,
            crate::config::Method::Post => Method::POST,
        };
        Ok(Some(Request {
            method,
            headers,
            body,
        }))
    }

    /// The request to send after a redirect answered with `status`. As browsers do (and as
    /// RFC 9110 allows for 301 and 302): 303, and 301/302 to a POST, become a GET without
    /// the body or its Content-Type; 307 and 308 repeat the request as it was.
    pub(super) fn after_redirect(&mut self, status: StatusCode) {
        let to_get = status == StatusCode::SEE_OTHER
            || (self.method == Method::POST
                && matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND));
        if to_get && self.method != Method::GET {
            self.method = Method::GET;
            self.body = None;
            self.headers.remove(CONTENT_TYPE);
        }
    }

    /// Drops the credential headers, for a hop to another origin than the source's: a
    /// redirect is the server's word, and the source's cookie is not for whoever it names.
    pub(super) fn drop_credentials(&mut self) {
        for name in CREDENTIAL_HEADERS {
            self.headers.remove(*name);
        }
    }

    pub fn method(&self) -> &Method {
        &self.method
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(extra: &str) -> SourceConfig {
        let text = format!("[[source]]\nname = \"s\"\nurl = \"https://x.test/\"\n{extra}");
        crate::config::Config::parse(&text, std::path::Path::new("/t.toml"))
            .unwrap()
            .sources
            .remove(0)
    }

    #[test]
    fn a_plain_get_builds_no_request() {
        assert!(Request::of_source(&source("")).unwrap().is_none());
        assert!(
            Request::of_source(&source(
                "kind = \"html\"\nitem = \"li\"\ntitle = \"a\"\nencoding = \"gbk\"\n"
            ))
            .unwrap()
            .is_none()
        );
    }

    #[test]
    fn forms_and_json_get_their_content_type_unless_one_is_given() {
        let r = Request::of_source(&source("method = \"POST\"\nbody = \"a=1\"\n"))
            .unwrap()
            .unwrap();
        assert_eq!(r.method, Method::POST);
        assert_eq!(r.headers[CONTENT_TYPE], "application/x-www-form-urlencoded");
        assert_eq!(r.body.as_deref(), Some(&b"a=1"[..]));
        let r = Request::of_source(&source(
            "method = \"POST\"\nbody = \"a=1\"\nheaders = { content-type = \"text/plain\" }\n",
        ))
        .unwrap()
        .unwrap();
        assert_eq!(r.headers[CONTENT_TYPE], "text/plain");
        let r = Request::of_source(&source("method = \"POST\"\njson = { page = 1, q = \"稀土\" }\n"))
            .unwrap()
            .unwrap();
        assert_eq!(r.headers[CONTENT_TYPE], "application/json");
        let v: serde_json::Value = serde_json::from_slice(r.body.as_deref().unwrap()).unwrap();
        assert_eq!(v, serde_json::json!({"page": 1, "q": "稀土"}));
    }

    #[test]
    fn redirects_turn_posts_into_gets_as_browsers_do() {
        let base = Request::of_source(&source("method = \"POST\"\nbody = \"a=1\"\n"))
            .unwrap()
            .unwrap();
        for (status, stays) in [
            (StatusCode::SEE_OTHER, false),
            (StatusCode::FOUND, false),
            (StatusCode::MOVED_PERMANENTLY, false),
            (StatusCode::TEMPORARY_REDIRECT, true),
            (StatusCode::PERMANENT_REDIRECT, true),
        ] {
            let mut r = base.clone();
            r.after_redirect(status);
            assert_eq!(r.method == Method::POST, stays, "{status}");
            assert_eq!(r.body.is_some(), stays, "{status}");
            assert_eq!(r.headers.contains_key(CONTENT_TYPE), stays, "{status}");
        }
    }

    #[test]
    fn a_cookie_file_is_read_and_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.txt");
        std::fs::write(&path, "sid=SECRET\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut s = source("");
        s.cookie_file = Some(path.clone());
        let e = Request::of_source(&s).unwrap_err().to_string();
        assert!(
            e.contains("readable by every user") && !e.contains("SECRET"),
            "{e}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        s.cookie_file = Some(path.clone());
        let r = Request::of_source(&s).unwrap().unwrap();
        assert_eq!(r.headers[COOKIE], "sid=SECRET");
        assert!(r.headers[COOKIE].is_sensitive());
        assert!(!format!("{r:?}").contains("SECRET"));
        std::fs::write(&path, "sid=SECRET\r\nX-Evil: 1").unwrap();
        let e = Request::of_source(&s).unwrap_err().to_string();
        assert!(e.contains("control characters") && !e.contains("SECRET"), "{e}");
        s.cookie_file = Some(dir.path().join("missing"));
        assert!(
            Request::of_source(&s)
                .unwrap_err()
                .to_string()
                .contains("cookie_file")
        );
    }
}
