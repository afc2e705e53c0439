use std::process::ExitCode;

use clap::Parser;

fn main() -> anyhow::Result<ExitCode> {
    sigwatch::cli::run(sigwatch::cli::Cli::parse())
}
