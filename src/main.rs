//! The `sigwatch` binary: parses arguments and hands them to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match sigwatch::cli::run(sigwatch::cli::Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            // `{:#}` prints the whole chain of causes on one line.
            eprintln!("sigwatch: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
