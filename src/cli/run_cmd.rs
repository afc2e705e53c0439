//! `sigwatch run`: the daemon, with SIGTERM/SIGINT to stop and SIGHUP to reload.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tracing::info;

use super::Ctx;
use crate::config::Config;
use crate::daemon::{self, Control, Options};
use crate::schedule::SystemClock;

pub fn run(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let config_path = Config::locate(ctx.config.as_deref())?;
    // A config that cannot work stops the daemon before it opens anything.
    let cfg = Config::load(&config_path)?;
    crate::digest::check_password(&cfg)?;
    let rt = crate::poll::runtime()?;
    rt.block_on(async {
        // With [serve], the web view runs beside the daemon on the same runtime, reading the
        // database the daemon writes; it stops when the daemon does.
        let (stop_web, web_stopped) = tokio::sync::oneshot::channel::<()>();
        let web = match &cfg.serve {
            Some(_) => {
                let listener =
                    super::serve_cmd::bind(&cfg, super::serve_cmd::listen_addr(&cfg, None)).await?;
                // The view reads the database only: it is made (and migrated) here first.
                let db = ctx.db_path(Some(&cfg))?;
                drop(crate::store::Store::open(&db)?);
                let stop = async move {
                    let _ = web_stopped.await;
                };
                let web = crate::web::serve(cfg.clone(), db, listener, stop);
                Some(tokio::spawn(async move {
                    // The daemon goes on without the view; the log says why it stopped.
                    let r = web.await;
                    if let Err(e) = &r {
                        tracing::error!(error = %e, "the web view stopped");
                    }
                    r
                }))
            }
            None => None,
        };
        let (tx, rx) = mpsc::channel(8);
        let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
        let mut hup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
        tokio::spawn(async move {
            loop {
                let sig = tokio::select! {
                    _ = term.recv() => Control::Stop,
                    _ = int.recv() => Control::Stop,
                    _ = hup.recv() => Control::Reload,
                };
                info!(signal = ?sig, "signal received");
                if tx.send(sig).await.is_err() || sig == Control::Stop {
                    break;
                }
            }
        });
        daemon::run(
            Options {
                config_path,
                db: ctx.db.clone(),
            },
            rx,
            Arc::new(SystemClock),
        )
        .await?;
        let _ = stop_web.send(());
        if let Some(web) = web {
            web.await??;
        }
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
