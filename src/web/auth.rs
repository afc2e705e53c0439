//! Who may read: everyone on a loopback bind; beyond it, requests from `[serve]
//! trusted_proxy`, and requests bringing the token of `[serve] token_file`, as
//! `Authorization: Bearer TOKEN` or in the cookie the login form sets. `/healthz` is open, so
//! that a load balancer can check the service without the token.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::App;
use crate::config::Config;

const COOKIE: &str = "sigwatch_session";

/// The token a request must bring, if any, and the proxy trusted without it.
pub(crate) struct Auth {
    token: Option<String>,
    /// What the login cookie holds: a hash of the token, so that the cookie is not the token.
    session: Option<String>,
    proxy: Option<std::net::IpAddr>,
    /// Whether the cookie may only travel over https (the public URL is https).
    secure: bool,
}

impl Auth {
    /// Reads the token file (refused when every user can read it).
    pub(crate) fn from_config(cfg: &Config) -> Result<Self, String> {
        let serve = cfg.serve.clone().unwrap_or_default();
        let dir = cfg.path.parent().unwrap_or(std::path::Path::new("."));
        let token = match serve.token_path(dir) {
            Some(path) => {
                let meta =
                    std::fs::metadata(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                if std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o004 != 0 {
                    return Err(format!(
                        "{} is readable by every user; make it private (chmod 600)",
                        path.display()
                    ));
                }
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                let t = text.trim().to_string();
                if t.len() < 16 {
                    return Err(format!("{} holds a token under 16 characters", path.display()));
                }
                Some(t)
            }
            None => None,
        };
        Ok(Self {
            session: token.as_deref().map(session_of),
            token,
            proxy: serve.trusted_proxy,
            secure: serve.public_url.as_ref().is_some_and(|u| u.scheme() == "https"),
        })
    }

    fn open(&self) -> bool {
        self.token.is_none() && self.proxy.is_none()
    }

    fn admits(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> bool {
        if self.open() {
            return true;
        }
        if let (Some(p), Some(peer)) = (self.proxy, peer)
            && peer.ip() == p
        {
            return true;
        }
        let (Some(token), Some(session)) = (&self.token, &self.session) else {
            return false;
        };
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|t| same(t.trim().as_bytes(), token.as_bytes()));
        bearer || cookie(headers).is_some_and(|c| same(c.as_bytes(), session.as_bytes()))
    }
}

/// The login cookie's value for `token`.
fn session_of(token: &str) -> String {
    let d = Sha256::digest(format!("sigwatch web session\n{token}").as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The session cookie of a request, if it brings one.
fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v)
}

/// Compares in time that depends on the lengths only, not on where the bytes first differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Lets a request through, or answers 401 with the login form.
pub(crate) async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if matches!(path, "/healthz" | "/login" | "/style.css") {
        return next.run(req).await;
    }
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    if app.auth.admits(req.headers(), peer) {
        return next.run(req).await;
    }
    let mut res = app.page("login.html", minijinja::context! { failed => false });
    *res.status_mut() = StatusCode::UNAUTHORIZED;
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    res
}

pub(crate) async fn login_form(State(app): State<Arc<App>>) -> Response {
    app.page("login.html", minijinja::context! { failed => false })
}

#[derive(serde::Deserialize)]
pub(crate) struct LoginForm {
    token: String,
}

/// Checks the token from the form; sets the session cookie and goes to the stories.
pub(crate) async fn login(State(app): State<Arc<App>>, form: axum::Form<LoginForm>) -> Response {
    let ok = app
        .auth
        .token
        .as_ref()
        .is_some_and(|t| same(form.token.trim().as_bytes(), t.as_bytes()));
    let Some(session) = app.auth.session.as_ref().filter(|_| ok) else {
        let mut res = app.page("login.html", minijinja::context! { failed => true });
        *res.status_mut() = StatusCode::UNAUTHORIZED;
        return res;
    };
    let secure = if app.auth.secure { "; Secure" } else { "" };
    let cookie = format!("{COOKIE}={session}; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000{secure}");
    (
        StatusCode::SEE_OTHER,
        [(header::SET_COOKIE, cookie), (header::LOCATION, "/".to_string())],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"abcdef", b"abcdef"));
        assert!(!same(b"abcdef", b"abcdeg"));
        assert!(!same(b"abc", b"abcdef"));
        assert!(!same(b"", b"x"));
    }

    #[test]
    fn the_session_cookie_is_found_among_others_and_is_not_the_token() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; sigwatch_session=xyz; b=2".parse().unwrap());
        assert_eq!(cookie(&h), Some("xyz"));
        assert_ne!(session_of("secret-token-123456"), "secret-token-123456");
        assert_eq!(session_of("t").len(), 64);
    }
}
