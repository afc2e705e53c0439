//! Priority: the base score of a hit, from the weights of its watch and source, the field it
//! is in and how many watches found the item; and the bonus an item's status adds when hits
//! are read.

use crate::config::SignalsConfig;

/// The base score of one hit: see the module's formula.
pub fn base_score(
    cfg: &SignalsConfig,
    watch_weight: f64,
    source_weight: f64,
    in_title: bool,
    watches: usize,
) -> f64 {
    let field = if in_title { cfg.title } else { cfg.summary };
    let extra = cfg.per_extra_watch * watches.saturating_sub(1) as f64;
    round2(watch_weight * source_weight * (field + extra))
}

/// The base score of each of one item's hits, in their order. The caller pairs them with
/// the hits to store, so scoring knows nothing of the store.
pub fn scores(
    matcher: &crate::watch::Matcher,
    cfg: &SignalsConfig,
    source_weight: f64,
    hits: &[crate::watch::Hit],
) -> Vec<f64> {
    let watches: std::collections::HashSet<&str> = hits.iter().map(|h| h.watch.as_str()).collect();
    let n = watches.len();
    hits.iter()
        .map(|hit| {
            base_score(
                cfg,
                matcher.weight(&hit.watch),
                source_weight,
                hit.field == crate::watch::Field::Title,
                n,
            )
        })
        .collect()
}

/// The score of a stored hit as read: its base plus the bonus of its item's status.
pub fn status_bonus(cfg: &SignalsConfig, status: Option<&str>) -> f64 {
    match status {
        Some("edited") => cfg.edited,
        Some("withdrawn") => cfg.withdrawn,
        _ => 0.0,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_follows_the_written_rule() {
        let c = SignalsConfig::default();
        assert_eq!(base_score(&c, 1.0, 1.0, true, 1), 1.0);
        assert_eq!(base_score(&c, 1.0, 1.0, false, 1), 0.5);
        assert_eq!(base_score(&c, 2.0, 1.5, true, 3), 6.0);
        assert_eq!(status_bonus(&c, Some("withdrawn")), 1.0);
        assert_eq!(status_bonus(&c, None), 0.0);
    }
}
