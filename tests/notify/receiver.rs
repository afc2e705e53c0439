//! A scripted HTTP receiver on 127.0.0.1 port 0, standing in for a webhook, Slack, Teams, a
//! Matrix homeserver or an ntfy server: it records every request and answers each as the
//! test scripts it (a status, a 429 with Retry-After, or holding the answer back until
//! released), then 200 to the rest.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How the receiver answers one request.
#[derive(Debug, Clone)]
pub enum Answer {
    Status(u16),
    /// 429 with `Retry-After: N` (seconds).
    TooMany(u64),
    /// Read the request, then answer nothing until [`Receiver::release`].
    Hold,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Names in lower case.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    pub at: Instant,
    pub status: u16,
}

impl Request {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map_or("", String::as_str)
    }
}

#[derive(Default)]
struct State {
    script: Mutex<VecDeque<Answer>>,
    seen: Mutex<Vec<Request>>,
    released: Mutex<bool>,
    wake: Condvar,
    answer_body: Mutex<String>,
}

pub struct Receiver {
    pub base: String,
    state: Arc<State>,
}

impl Receiver {
    pub fn start(script: &[Answer]) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        *state.script.lock().unwrap() = script.iter().cloned().collect();
        *state.answer_body.lock().unwrap() = "{\"ok\":true}".into();
        let st = state.clone();
        thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let st = st.clone();
                thread::spawn(move || {
                    let _ = serve(conn, &st);
                });
            }
        });
        Receiver {
            base: format!("http://127.0.0.1:{port}"),
            state,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Every request so far, in the order they arrived.
    pub fn seen(&self) -> Vec<Request> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn seen_at(&self, path: &str) -> Vec<Request> {
        self.seen().into_iter().filter(|r| r.path == path).collect()
    }

    /// Lets held requests be answered (200).
    pub fn release(&self) {
        *self.state.released.lock().unwrap() = true;
        self.state.wake.notify_all();
    }

    /// Waits until `n` requests arrived, for up to `limit`.
    pub fn wait_for(&self, n: usize, limit: Duration) -> bool {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if self.seen().len() >= n {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        false
    }

    pub fn answer_with(&self, body: &str) {
        *self.state.answer_body.lock().unwrap() = body.into();
    }
}

fn serve(conn: TcpStream, st: &State) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut w = conn.try_clone()?;
    let mut r = BufReader::new(conn);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = HashMap::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    let answer = st
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Answer::Status(200));
    let (status, extra) = match &answer {
        Answer::Status(s) => (*s, String::new()),
        Answer::TooMany(secs) => (429, format!("Retry-After: {secs}\r\n")),
        Answer::Hold => (200, String::new()),
    };
    st.seen.lock().unwrap().push(Request {
        method,
        path,
        headers,
        body,
        at: Instant::now(),
        status,
    });
    if matches!(answer, Answer::Hold) {
        let mut released = st.released.lock().unwrap();
        while !*released {
            released = st.wake.wait(released).unwrap();
        }
    }
    let text = st.answer_body.lock().unwrap().clone();
    write!(
        w,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{text}",
        text.len()
    )?;
    w.flush()
}
