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
            // `{:#}` prints the whole chain of causes on one line.
            eprintln!("sigwatch: error: {e:#}");
            ExitCode::from(2)
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
