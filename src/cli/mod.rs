//! The command line: argument definitions and one function per command.
//!
//! Commands turn arguments into calls on the library and format what comes back; the
//! business logic lives in the modules they call. Errors here are `anyhow`, like `main`'s.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Watches state media and ministries for policy signals.
#[derive(Debug, Parser)]
#[command(name = "sigwatch", version, about, propagate_version = true)]
pub struct Cli {
    /// Config file [default: $SIGWATCH_CONFIG, ./sigwatch.toml, /etc/sigwatch/sigwatch.toml]
    #[arg(long, short = 'c', global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database file, overriding [storage] path
    #[arg(long, global = true, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// More log output (-v: debug, -vv: trace); RUST_LOG overrides
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the config and exit
    Check,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check => Ok(ExitCode::SUCCESS),
    }
}
