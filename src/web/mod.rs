//! `sigwatch serve`: a read-only web view of the store, Atom feeds of stories, a health
//! check and Prometheus metrics (docs/web.md).
//!
//! Read-only by construction: every request reads through a connection opened with
//! `SQLITE_OPEN_READ_ONLY` ([`Store::open_read_only`]). Every text shown came from feeds and
//! is untrusted: the templates escape by default (minijinja's HTML auto-escaping), invisible
//! and bidi characters are dropped before rendering, links are emitted only for http and
//! https URLs, and the Content-Security-Policy allows no script at all and only this server's
//! one stylesheet. Binding beyond loopback needs a token or a trusted proxy ([`auth`]).
//! Clients that stall before finishing a request's head are cut off, and connections are
//! capped ([`conn`]).

mod auth;
mod conn;
mod feeds;
mod ops;
mod pages;
mod story;
mod view;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::config::Config;
use crate::store::{Store, StoreError};

/// Read connections at most, each used by one request at a time: more requests wait for one
/// rather than open connections of their own (an open reads the schema, and SQLite gains
/// nothing from more readers than cores).
const POOL: usize = 8;

/// The policy every answer carries: nothing runs, nothing loads from elsewhere.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Refused(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("serve.token_file: {0}")]
    Token(String),
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
}

/// What every request shares.
pub(crate) struct App {
    cfg: Config,
    db: PathBuf,
    pool: Mutex<Vec<Store>>,
    /// A permit for each connection of the pool.
    permits: tokio::sync::Semaphore,
    env: minijinja::Environment<'static>,
    auth: auth::Auth,
    /// Rendered list pages by their query, each for [`CACHE_FOR`].
    cache: Mutex<std::collections::HashMap<String, (std::time::Instant, Arc<str>)>>,
}

/// How long a rendered list page is served again to readers asking the same: a team
/// opening the same page at once costs one query, and what is shown is at most this old.
const CACHE_FOR: std::time::Duration = std::time::Duration::from_secs(5);
/// Pages kept at most; queries longer than this many bytes are not kept either.
const CACHE_PAGES: usize = 256;

/// Binds `addr` after checking it may be bound under `cfg`'s `[serve]`.
pub async fn bind(cfg: &Config, addr: SocketAddr) -> Result<tokio::net::TcpListener, WebError> {
    let serve = cfg.serve.clone().unwrap_or_default();
    if let Some(why) = serve.refuse(addr) {
        return Err(WebError::Refused(why));
    }
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| WebError::Bind { addr, source })
}

/// Serves the view of the database at `db` on `listener` until `shutdown` completes.
pub async fn serve(
    cfg: Config,
    db: PathBuf,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    let auth = auth::Auth::from_config(&cfg).map_err(WebError::Token)?;
    // A database that cannot be read is an error now, not at the first request.
    let first = Store::open_read_only(&db)?;
    let app = Arc::new(App {
        cfg,
        db,
        pool: Mutex::new(vec![first]),
        permits: tokio::sync::Semaphore::new(POOL),
        cache: Mutex::default(),
        env: view::environment(),
        auth,
    });
    let limits = app.cfg.serve.clone().unwrap_or_default();
    let router = router(app);
    conn::run(
        listener,
        router,
        limits.header_timeout,
        limits.max_connections,
        shutdown,
    )
    .await?;
    Ok(())
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(pages::stories))
        .route("/story/{id}", get(story::story))
        .route("/sources", get(pages::sources))
        .route("/source/{name}", get(pages::source))
        .route("/trends", get(pages::trends))
        .route("/feeds/all.atom", get(feeds::all))
        .route("/feeds/watch/{file}", get(feeds::watch))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .route("/style.css", get(style))
        .route("/login", get(auth::login_form).post(auth::login))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(app.clone(), auth::guard))
        .layer(axum::middleware::from_fn(headers))
        .layer(axum::extract::DefaultBodyLimit::max(4096))
        .with_state(app)
}

/// The headers of every answer: the policy, no sniffing, no framing, no referrer.
async fn headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("style.css"),
    )
        .into_response()
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

/// An error while answering: logged, and a plain 500 without detail.
pub(crate) struct Failure(pub(crate) String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        tracing::error!(error = %self.0, "web request failed");
        (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
    }
}

impl App {
    /// Runs `f` on a read-only connection, on a blocking thread.
    pub(crate) async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Store, &Config) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, Failure> {
        let _permit = self.permits.acquire().await?;
        let app = self.clone();
        tokio::task::spawn_blocking(move || {
            let taken = app.pool.lock().ok().and_then(|mut p| p.pop());
            let store = match taken {
                Some(s) => s,
                None => Store::open_read_only(&app.db)?,
            };
            let out = f(&store, &app.cfg);
            if let Ok(mut p) = app.pool.lock() {
                p.push(store);
            }
            out
        })
        .await?
        .map_err(Failure::from)
    }

    /// Renders template `name` with `ctx` as an HTML page.
    pub(crate) fn page(&self, name: &str, ctx: minijinja::Value) -> Response {
        match self.render(name, ctx) {
            Ok(html) => html_response(html),
            Err(e) => e.into_response(),
        }
    }

    pub(crate) fn render(&self, name: &str, ctx: minijinja::Value) -> Result<String, Failure> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| Failure(format!("template {name}: {e}")))
    }

    /// The page rendered for `key` less than [`CACHE_FOR`] ago, if any.
    pub(crate) fn cached(&self, key: &str) -> Option<Response> {
        let cache = self.cache.lock().ok()?;
        let (at, html) = cache.get(key)?;
        (at.elapsed() < CACHE_FOR).then(|| html_response(html.to_string()))
    }

    /// Keeps the page rendered for `key`.
    pub(crate) fn keep(&self, key: &str, html: &str) {
        if key.len() > 512 {
            return;
        }
        let Ok(mut cache) = self.cache.lock() else { return };
        if cache.len() >= CACHE_PAGES {
            cache.retain(|_, (at, _)| at.elapsed() < CACHE_FOR);
            if cache.len() >= CACHE_PAGES {
                cache.clear();
            }
        }
        cache.insert(key.to_string(), (std::time::Instant::now(), Arc::from(html)));
    }
}

fn html_response(html: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}
