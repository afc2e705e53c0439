//! `sigwatch man`: manual pages, one per command and subcommand, and `sigwatch.toml(5)`.
//!
//! The pages come from the argument definitions (clap_mangen) and, for the config's page, from
//! the commented reference config that ships with sigwatch, so neither can drift from the
//! code. Every page another page names is among those `--dir` writes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, italic, roman};

use super::{Cli, UsageError};

/// The reference config, every key with its default and what it does.
const REFERENCE_CONFIG: &str = include_str!("../../config/sigwatch.toml");

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// The page: sigwatch (the default), a command such as sigwatch-poll or sigwatch-db-backup,
    /// or sigwatch.toml
    pub page: Option<String>,
    /// Write every page into this folder (sigwatch.1, sigwatch-*.1, sigwatch.toml.5) instead
    #[arg(long, value_name = "DIR", conflicts_with = "page")]
    pub dir: Option<PathBuf>,
}

pub fn run(args: &ManArgs) -> anyhow::Result<ExitCode> {
    let pages = pages();
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir)?;
        for (file, text) in &pages {
            let path = dir.join(file);
            std::fs::write(&path, text)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        }
        super::output::note(format!(
            "wrote {} to {}",
            super::output::count(pages.len() as u64, "page", "pages"),
            dir.display()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let want = args.page.as_deref().unwrap_or("sigwatch");
    let found = pages
        .iter()
        .find(|(file, _)| Path::new(file).file_stem().is_some_and(|s| s == want) || file == want);
    match found {
        Some((_, text)) => {
            std::io::stdout().lock().write_all(text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        None => Err(UsageError(format!(
            "no page {want:?}; the pages are: {}",
            pages
                .iter()
                .map(|(f, _)| f.rsplit_once('.').map_or(f.as_str(), |(s, _)| s))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into()),
    }
}

/// Every page, as (file name, roff).
pub fn pages() -> Vec<(String, String)> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    command_pages(&cmd, true, &mut out);
    out.push(("sigwatch.toml.5".into(), config_page()));
    out
}

fn command_pages(cmd: &clap::Command, top: bool, out: &mut Vec<(String, String)>) {
    let man = Man::new(cmd.clone()).manual("sigwatch manual");
    let file = man.get_filename();
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = render(&man, cmd, top, &mut buf);
    out.push((file, String::from_utf8_lossy(&buf).into_owned()));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        command_pages(sub, false, out);
    }
}

fn render(man: &Man, cmd: &clap::Command, top: bool, w: &mut Vec<u8>) -> std::io::Result<()> {
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(w)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(w)?;
    }
    let mut roff = Roff::default();
    exit_status(&mut roff);
    if top {
        environment(&mut roff);
        files(&mut roff);
    }
    roff.control("SH", ["SEE ALSO"]);
    let mut see = vec![];
    if !top {
        see.push(bold("sigwatch"));
        see.push(roman("(1), "));
    }
    see.push(bold("sigwatch.toml"));
    see.push(roman("(5)"));
    roff.text(see);
    roff.to_writer(w)?;
    man.render_version_section(w)
}

/// The exit statuses every command keeps to (see `super::exit`).
fn exit_status(roff: &mut Roff) {
    roff.control("SH", ["EXIT STATUS"]);
    for (code, what) in [
        ("0", "Success."),
        (
            "1",
            "Nothing found where that is the answer: match found no watch in the text, show found no item with that id, sources test read no item.",
        ),
        (
            "2",
            "A usage or config error: an unknown option or value, a config that does not parse or validate (the message names the file, line and key), a config that cannot be found.",
        ),
        (
            "3",
            "A failure at run time: a database that cannot be opened or is damaged (db check), a feed that cannot be fetched or parsed (sources test), a digest not delivered, an I/O error.",
        ),
    ] {
        roff.control("TP", []);
        roff.text([bold(code)]);
        roff.text([roman(what)]);
    }
}

fn environment(roff: &mut Roff) {
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, what) in [
        ("SIGWATCH_CONFIG", "The config file, when --config is not given."),
        (
            "RUST_LOG",
            "The log filter (e.g. debug, sigwatch=trace), overriding -v and -q.",
        ),
        ("NO_COLOR", "When set, nothing is coloured or highlighted."),
        (
            "STATE_DIRECTORY",
            "Set by systemd's StateDirectory=: a relative [storage] path and [digest] outbox_dir are taken in this folder rather than beside the config.",
        ),
        (
            "CREDENTIALS_DIRECTORY",
            "Set by systemd's LoadCredential=: a relative [smtp] password_file and [translate] key_file are looked up here.",
        ),
        (
            "JOURNAL_STREAM",
            "Set by systemd when stderr is the journal: log lines then carry journald priority prefixes (<3> error, <4> warning, <6> info, <7> debug) and no timestamps or colours.",
        ),
    ] {
        roff.control("TP", []);
        roff.text([bold(name)]);
        roff.text([roman(what)]);
    }
}

fn files(roff: &mut Roff) {
    roff.control("SH", ["FILES"]);
    for (name, what) in [
        (
            "./sigwatch.toml, /etc/sigwatch/sigwatch.toml",
            "The config, looked for in this order when neither --config nor SIGWATCH_CONFIG names one; see sigwatch.toml(5).",
        ),
        (
            "/var/lib/sigwatch/sigwatch.db",
            "The database of the packaged service (SQLite, with its -wal and -shm files), readable by the sigwatch group.",
        ),
        (
            "/var/lib/sigwatch/outbox/",
            "Digests and alerts written as .eml files when no [smtp] is configured.",
        ),
    ] {
        roff.control("TP", []);
        roff.text([bold(name)]);
        roff.text([roman(what)]);
    }
}

/// `sigwatch.toml(5)`: how the config is found and read, then the reference config whole.
fn config_page() -> String {
    let mut roff = Roff::default();
    roff.control("TH", ["SIGWATCH.TOML", "5", "", "", "sigwatch manual"]);
    roff.control("SH", ["NAME"]);
    roff.text([roman("sigwatch.toml - the sigwatch config")]);
    roff.control("SH", ["SYNOPSIS"]);
    roff.text([italic("/etc/sigwatch/sigwatch.toml")]);
    roff.control("SH", ["DESCRIPTION"]);
    for p in [
        "One TOML file holds everything sigwatch needs: where the database is ([storage]), how feeds are fetched ([fetch]) and scheduled ([poll]), how digests are built and sent ([digest], [smtp]), which service glosses Chinese and Japanese items ([translate]), the sources ([[source]]) and the watches ([watch.NAME]).",
        "Unknown keys are an error, reported with the file, line and column, so a typo never silently does nothing. Each duration, size and count has a range; a value outside it is refused with the file, line and key. Check a config with sigwatch check.",
        "Relative paths are relative to the folder of the config file, except [storage] path and [digest] outbox_dir under systemd, which are relative to $STATE_DIRECTORY (/var/lib/sigwatch). The password of [smtp] never goes in this file: password_file names a file (a relative name is looked up in $CREDENTIALS_DIRECTORY) and password_env an environment variable; nor does the key of [translate], which key_file names.",
    ] {
        roff.control("PP", []);
        roff.text([roman(p)]);
    }
    roff.control("SH", ["REFERENCE"]);
    roff.text([roman(
        "The reference config below shows every key with its default or an example, and what it does.",
    )]);
    roff.control("PP", []);
    roff.control("nf", []);
    for line in REFERENCE_CONFIG.lines() {
        roff.text([roman(line)]);
    }
    roff.control("fi", []);
    roff.control("SH", ["SEE ALSO"]);
    roff.text([bold("sigwatch"), roman("(1)")]);
    roff.render()
}
