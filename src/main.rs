//! The `sigwatch` binary: parses arguments and hands them to the library.

use std::process::ExitCode;

use clap::Parser;
use sigwatch::cli::{Cli, Command};

fn main() -> ExitCode {
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
