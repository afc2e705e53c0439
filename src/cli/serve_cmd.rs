//! `sigwatch serve`: the read-only web view, feeds, health check and metrics, until SIGTERM
//! or SIGINT.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use tokio::signal::unix::{SignalKind, signal};

use super::Ctx;
use crate::config::{Config, DEFAULT_LISTEN};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free one)
    /// [default: [serve] listen, else 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
}

/// Where to listen: `--listen`, else `[serve] listen`, else the default.
pub(super) fn listen_addr(cfg: &Config, arg: Option<SocketAddr>) -> SocketAddr {
    arg.or(cfg.serve.as_ref().map(|s| s.listen))
        .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("the default address parses"))
}

/// Binds the web view's address, saying where on stderr (a test or a script reads the
/// port chosen for port 0 there).
pub(super) async fn bind(cfg: &Config, addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    let listener = crate::web::bind(cfg, addr).await.map_err(|e| match e {
        crate::web::WebError::Refused(why) => {
            super::UsageError(format!("{}: {why}", cfg.path.display())).into()
        }
        e => anyhow::Error::from(e),
    })?;
    let local = listener.local_addr().context("reading the bound address")?;
    eprintln!("sigwatch: listening on http://{local}/");
    Ok(listener)
}

pub fn run(ctx: &Ctx, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let cfg = ctx.config()?;
    let db = ctx.db_path(Some(&cfg))?;
    anyhow::ensure!(
        db.exists(),
        "no database at {} yet: run `sigwatch poll` first",
        db.display()
    );
    let addr = listen_addr(&cfg, args.listen);
    let rt = crate::poll::runtime()?;
    rt.block_on(async {
        let listener = bind(&cfg, addr).await?;
        let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
        let stop = async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        };
        crate::web::serve(cfg, db, listener, stop).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
