//! `sigwatch serve` against clients that connect and stall: the real binary on port 0, raw
//! TCP clients that send half a request line and then nothing. Each is cut off once
//! `[serve] header_timeout` has passed, a normal request answers while they hang on, and
//! past `[serve] max_connections` a request waits for a slot rather than being refused.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::serve::{filled, get, serve};

/// Connects to `addr` and sends the start of a request line, never its end.
fn stall(addr: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(b"GET /sto").unwrap();
    s
}

/// Waits for the server to close `s`, returning how long that took from `since`; panics
/// when it is still open after `limit`.
fn closed_within(mut s: TcpStream, since: Instant, limit: Duration) -> Duration {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 512];
    loop {
        match s.read(&mut buf) {
            // An answer (a 408, should hyper send one) is followed by the close too.
            Ok(0) => return since.elapsed(),
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return since.elapsed(),
            Err(e) => panic!("still open after {:?}: {e}", since.elapsed()),
        }
    }
}

fn with_serve_limits(extra: &str) -> (crate::Env, crate::server::Server) {
    let (env, srv) = filled();
    let cfg = std::fs::read_to_string(env.config()).unwrap();
    std::fs::write(env.config(), format!("{cfg}\n[serve]\n{extra}")).unwrap();
    (env, srv)
}

#[test]
fn a_client_that_stalls_in_its_request_line_is_cut_off_and_others_are_served() {
    let (env, _srv) = with_serve_limits("header_timeout = \"1s\"\n");
    let s = serve(&env, "127.0.0.1:0");
    let started = Instant::now();
    let stalled: Vec<TcpStream> = (0..5).map(|_| stall(&s.addr)).collect();

    // While they hang on, a reader is served at once.
    let t = Instant::now();
    let a = get(&s.addr, "/");
    assert_eq!(a.status, 200);
    assert!(t.elapsed() < Duration::from_millis(900), "{:?}", t.elapsed());

    for c in stalled {
        let took = closed_within(c, started, Duration::from_secs(10));
        assert!(took >= Duration::from_millis(900), "closed early: {took:?}");
        assert!(took < Duration::from_secs(4), "closed late: {took:?}");
    }
    // And the server still answers afterwards.
    assert_eq!(get(&s.addr, "/feeds/all.atom").status, 200);
}

#[test]
fn past_the_connection_cap_a_request_waits_for_a_slot() {
    let (env, _srv) = with_serve_limits("header_timeout = \"1s\"\nmax_connections = 2\n");
    let s = serve(&env, "127.0.0.1:0");
    let stalled: Vec<TcpStream> = (0..2).map(|_| stall(&s.addr)).collect();
    // Give the server the moment it needs to take both.
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    let a = get(&s.addr, "/");
    let waited = t.elapsed();
    assert_eq!(a.status, 200);
    // Both slots were held by the stalled clients until their deadline freed them.
    assert!(waited >= Duration::from_millis(500), "served at once: {waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    drop(stalled);
}
