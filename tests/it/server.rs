//! A real HTTP server on 127.0.0.1 port 0 for tests: routes map a path to a reply, and
//! every request is recorded so tests can see what sigwatch sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// A test of a request: a site's demands (method, headers, fields).
pub type Check = Arc<dyn Fn(&Seen) -> bool + Send + Sync>;

/// What the server answers on one path.
#[derive(Clone, Default)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait this long before answering.
    pub delay: Duration,
    /// Answer 304 when the request's If-None-Match equals this ETag (which is also sent).
    pub etag: Option<String>,
    /// Answer 403 to a request this refuses (a site that wants a method, header or field).
    pub require: Option<Check>,
}

impl Reply {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Reply {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            ..Default::default()
        }
    }
    pub fn status(status: u16) -> Self {
        Reply {
            status,
            ..Default::default()
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn etag(mut self, e: &str) -> Self {
        self.etag = Some(e.into());
        self
    }
    /// Answers 403 unless `check` accepts the request.
    pub fn only_if(mut self, check: impl Fn(&Seen) -> bool + Send + Sync + 'static) -> Self {
        self.require = Some(Arc::new(check));
        self
    }
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub body: Vec<u8>,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub status: u16,
}

pub struct Server {
    pub base: String,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    server: Arc<tiny_http::Server>,
}

impl Server {
    pub fn start() -> Server {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1:0"));
        let port = server.server_addr().to_ip().expect("ip address").port();
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let (s, r, sn) = (server.clone(), routes.clone(), seen.clone());
        thread::spawn(move || {
            for req in s.incoming_requests() {
                let (r, sn) = (r.clone(), sn.clone());
                // One thread per request, so a slow route does not hold up the others.
                thread::spawn(move || answer(req, &r, &sn));
            }
        });
        Server {
            base: format!("http://127.0.0.1:{port}"),
            routes,
            seen,
            server,
        }
    }

    pub fn route(&self, path: &str, reply: Reply) {
        self.routes.lock().unwrap().insert(path.to_string(), reply);
    }

    /// Like [`Server::route`], for requests to `path` whose body is exactly `body`: one
    /// endpoint that answers each form differently, as POST APIs do.
    pub fn route_body(&self, path: &str, body: &str, reply: Reply) {
        self.routes
            .lock()
            .unwrap()
            .insert(format!("{path}\n{body}"), reply);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn seen(&self, path: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }

    /// The paths asked for, in the order the requests arrived.
    pub fn order(&self) -> Vec<String> {
        self.seen.lock().unwrap().iter().map(|s| s.path.clone()).collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

fn answer(mut req: tiny_http::Request, routes: &Mutex<HashMap<String, Reply>>, seen: &Mutex<Vec<Seen>>) {
    let path = req.url().to_string();
    let headers: HashMap<String, String> = req
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_ascii_lowercase(),
                h.value.as_str().to_string(),
            )
        })
        .collect();
    let mut body = Vec::new();
    let _ = std::io::Read::read_to_end(req.as_reader(), &mut body);
    let method = req.method().as_str().to_string();
    let reply = {
        let routes = routes.lock().unwrap();
        let by_body = format!("{path}\n{}", String::from_utf8_lossy(&body));
        routes
            .get(&by_body)
            .or_else(|| routes.get(&path))
            .cloned()
            .unwrap_or_else(|| Reply::status(404))
    };
    thread::sleep(reply.delay);
    let not_modified = reply.etag.is_some() && headers.get("if-none-match") == reply.etag.as_ref();
    let mut this = Seen {
        method,
        body,
        path,
        headers,
        status: reply.status,
    };
    let refused = reply.require.as_ref().is_some_and(|check| !check(&this));
    this.status = if refused {
        403
    } else if not_modified {
        304
    } else {
        reply.status
    };
    let status = this.status;
    seen.lock().unwrap().push(this);
    let body = if refused {
        b"refused".to_vec()
    } else if not_modified {
        Vec::new()
    } else {
        reply.body
    };
    let mut resp = tiny_http::Response::from_data(body).with_status_code(status);
    let etag = reply.etag.as_ref().map(|e| ("ETag".to_string(), e.clone()));
    for (k, v) in reply.headers.iter().chain(etag.iter()) {
        if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
            resp.add_header(h);
        }
    }
    let _ = req.respond(resp);
}
