//! For operations: `/healthz` (the database opens and the last poll cycle is recent) and
//! `/metrics` in the Prometheus text format.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::{App, Failure};
use crate::config::Config;
use crate::schedule::Health;

/// How long the poll schedule leaves between cycles after `t`: the shortest of the enabled
/// sources' schedules (`[poll] schedule` when none is enabled).
fn period(cfg: &Config, t: DateTime<Utc>) -> std::time::Duration {
    cfg.sources
        .iter()
        .filter(|s| s.enabled)
        .map(|s| cfg.schedule_of(s).period_after(t))
        .min()
        .unwrap_or_else(|| {
            crate::schedule::CronSchedule::parse_in(&cfg.poll.schedule, cfg.zone())
                .map(|c| c.period_after(t))
                .unwrap_or(std::time::Duration::from_secs(3600))
        })
}

fn json(status: StatusCode, v: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{v}\n"),
    )
        .into_response()
}

/// 200 when the database opens and the last cycle ended less than twice the schedule's
/// period ago; else 503 with the reason.
pub(crate) async fn healthz(State(app): State<Arc<App>>) -> Response {
    let last = match app.read(|s, _| s.last_cycle()).await {
        Ok(l) => l,
        Err(Failure(e)) => {
            return json(
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({"status": "unavailable", "reason": format!("database: {e}")}),
            );
        }
    };
    let Some(last) = last else {
        return json(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"status": "unavailable", "reason": "no poll cycle recorded yet"}),
        );
    };
    let now = Utc::now();
    let age = now
        .signed_duration_since(last.finished)
        .to_std()
        .unwrap_or_default();
    let limit = period(&app.cfg, last.finished) * 2;
    if age > limit {
        return json(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({
                "status": "stale",
                "reason": format!(
                    "the last poll cycle ended {}s ago, more than twice the schedule ({}s)",
                    age.as_secs(), limit.as_secs()
                ),
                "last_cycle": last.finished.to_rfc3339(),
            }),
        );
    }
    json(
        StatusCode::OK,
        serde_json::json!({"status": "ok", "last_cycle": last.finished.to_rfc3339()}),
    )
}

pub(crate) async fn metrics(State(app): State<Arc<App>>) -> Result<Response, Failure> {
    let (counts, last, sources) = app
        .read(|s, _| Ok((s.counts()?, s.last_cycle()?, s.sources()?)))
        .await?;
    let mut m = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, values: &[(String, f64)]| {
        let _ = writeln!(m, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, v) in values {
            let _ = writeln!(m, "{name}{labels} {v}");
        }
    };
    let health = [
        Health::Ok,
        Health::Failing,
        Health::Stale,
        Health::New,
        Health::Disabled,
    ];
    let by_health: Vec<(String, f64)> = health
        .iter()
        .map(|h| {
            let n = sources
                .iter()
                .filter(|r| super::pages::health(&app.cfg, r) == *h)
                .count();
            let name = serde_json::to_value(h)
                .ok()
                .and_then(|v| v.as_str().map(String::from));
            (format!("{{health=\"{}\"}}", name.unwrap_or_default()), n as f64)
        })
        .collect();
    metric(
        "sigwatch_sources",
        "gauge",
        "Sources known to the database, by health.",
        &by_health,
    );
    metric(
        "sigwatch_fetches_total",
        "counter",
        "Source fetches in every recorded poll cycle, by outcome.",
        &[
            ("{outcome=\"fetched\"}".into(), counts.fetched as f64),
            ("{outcome=\"not_modified\"}".into(), counts.not_modified as f64),
            ("{outcome=\"failed\"}".into(), counts.failed as f64),
        ],
    );
    metric(
        "sigwatch_cycles_total",
        "counter",
        "Poll cycles recorded.",
        &[(String::new(), counts.cycles as f64)],
    );
    metric(
        "sigwatch_items_stored",
        "gauge",
        "Items in the database.",
        &[(String::new(), counts.items as f64)],
    );
    metric(
        "sigwatch_hits_stored",
        "gauge",
        "Hits (an item in a watch) in the database.",
        &[(String::new(), counts.hits as f64)],
    );
    let queued: Vec<(String, f64)> = ["alert", "digest"]
        .iter()
        .map(|k| {
            let n = counts.queued.iter().find(|(q, _)| q == k).map_or(0, |(_, n)| *n);
            (format!("{{channel=\"{k}\"}}"), n as f64)
        })
        .collect();
    metric(
        "sigwatch_outbox_queued",
        "gauge",
        "Messages waiting in the outbox, by channel.",
        &queued,
    );
    if let Some(last) = last {
        metric(
            "sigwatch_last_cycle_duration_seconds",
            "gauge",
            "How long the last poll cycle took.",
            &[(String::new(), last.duration_ms as f64 / 1000.0)],
        );
        metric(
            "sigwatch_last_cycle_success_timestamp_seconds",
            "gauge",
            "When the last poll cycle ended (Unix time).",
            &[(String::new(), last.finished.timestamp() as f64)],
        );
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        m,
    )
        .into_response())
}
