//! A scripted SMTP server on 127.0.0.1 port 0: it speaks enough SMTP for a client to deliver,
//! answers the end of each message as the test scripts it (250, 421, 550, or silence), and
//! keeps what it accepted.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How the server answers the end of a message's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    /// 421: try again later.
    Busy,
    /// 550: refused for good.
    Refuse,
    /// Say nothing, ever (until the client gives up).
    Hang,
}

#[derive(Clone, Default)]
struct State {
    script: Arc<Mutex<VecDeque<Answer>>>,
    accepted: Arc<Mutex<Vec<String>>>,
}

pub struct SmtpServer {
    pub port: u16,
    state: State,
}

impl SmtpServer {
    /// Starts a server that answers messages as `script` says, then accepts the rest.
    pub fn start(script: &[Answer]) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let state = State {
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            ..Default::default()
        };
        let st = state.clone();
        thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let st = st.clone();
                thread::spawn(move || {
                    let _ = session(conn, &st);
                });
            }
        });
        SmtpServer { port, state }
    }

    /// The messages accepted so far (their DATA, dot-unstuffed).
    pub fn accepted(&self) -> Vec<String> {
        self.state.accepted.lock().unwrap().clone()
    }
}

fn session(conn: TcpStream, st: &State) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut w = conn.try_clone()?;
    let mut r = BufReader::new(conn);
    w.write_all(b"220 test ESMTP\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_ascii_uppercase();
        if cmd.starts_with("EHLO") {
            w.write_all(b"250-test\r\n250 8BITMIME\r\n")?;
        } else if cmd.starts_with("HELO")
            || cmd.starts_with("MAIL")
            || cmd.starts_with("RCPT")
            || cmd.starts_with("RSET")
        {
            w.write_all(b"250 ok\r\n")?;
        } else if cmd == "DATA" {
            w.write_all(b"354 go on\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(
                    line.strip_prefix('.')
                        .filter(|_| line.starts_with(".."))
                        .unwrap_or(&line),
                );
            }
            let answer = st.script.lock().unwrap().pop_front().unwrap_or(Answer::Accept);
            match answer {
                Answer::Accept => {
                    st.accepted.lock().unwrap().push(data);
                    w.write_all(b"250 queued\r\n")?;
                }
                Answer::Busy => w.write_all(b"421 too busy, try later\r\n")?,
                Answer::Refuse => w.write_all(b"550 mailbox unavailable\r\n")?,
                Answer::Hang => {
                    thread::sleep(Duration::from_secs(20));
                    return Ok(());
                }
            }
        } else if cmd == "QUIT" {
            w.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            w.write_all(b"250 ok\r\n")?;
        }
    }
}

/// The decoded body of a received message's part of type `mime` (`text/plain`, `text/html`).
pub fn part(mail: &mailparse::ParsedMail<'_>, mime: &str) -> String {
    mail.subparts
        .iter()
        .find(|p| p.ctype.mimetype == mime)
        .unwrap_or_else(|| panic!("no {mime} part"))
        .get_body()
        .unwrap()
}
