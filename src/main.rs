//! The `sigwatch` binary: parses arguments and hands them to the library.

use std::process::ExitCode;

use clap::Parser;
use sigwatch::cli::{Cli, Command};

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Run) {
        // A one-shot command piped into `head` should end quietly when the pipe closes, as
        // other command-line tools do. The daemon keeps Rust's default (SIGPIPE ignored) so
        // that a peer closing a socket is an error to handle, not a death.
        // SAFETY: setting a signal disposition before any thread starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    match sigwatch::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            let prefix = if sigwatch::cli::stderr_is_journal() {
                sigwatch::cli::journal_prefix(tracing::Level::ERROR)
            } else {
                ""
            };
            eprintln!("{prefix}sigwatch: error: {}", one_line(&e));
            ExitCode::from(sigwatch::cli::exit_status(&e))
        }
    }
}

/// glibc gives each thread that allocates while others do an arena of its own, up to eight
/// per core, and keeps what each frees for that thread. A poll's many short-lived fetch and
/// parse threads then leave their peaks in separate arenas: two arenas keep a large poll's
/// peak memory lower, at no measurable cost in time (see docs/performance.md).
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called first thing in main, before any thread starts or anything is allocated
    // by another thread; mallopt only sets a tunable of the allocator.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// The error and its causes on one line, leaving out a cause whose text the message before it
/// already holds (many errors quote their cause's text and also name it as their source).
fn one_line(e: &anyhow::Error) -> String {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !line.contains(&c) {
            line.push_str(": ");
            line.push_str(&c);
        }
    }
    line
}
