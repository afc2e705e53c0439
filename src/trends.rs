//! Trends: daily hit series per watch, drawn as sparklines, with spikes flagged by one
//! stated rule. Pure: the caller supplies the counts and the day that counts as today.

use std::collections::BTreeMap;

use chrono::NaiveDate;

/// Days before today that form a watch's baseline.
pub const BASELINE_DAYS: usize = 14;

/// The rule, as printed under the chart and in the digest.
pub const SPIKE_RULE: &str = "spike: today's items (an item counts once per watch) are at least 3, at least twice the daily mean of the previous 14 days, and above that mean by 3 standard deviations";

/// One watch's series and what it says.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Trend {
    pub watch: String,
    /// Counts per day, oldest first, the last being today.
    pub daily: Vec<u64>,
    pub sparkline: String,
    pub today: u64,
    pub baseline_mean: f64,
    pub baseline_sd: f64,
    pub spike: bool,
}

/// Builds one trend per watch over `days` days ending with `today`, from sparse
/// (watch, day, count) rows. Watches in `watches` with no hits get a flat series.
pub fn trends(
    rows: &[(String, NaiveDate, u64)],
    watches: &[String],
    today: NaiveDate,
    days: usize,
) -> Vec<Trend> {
    let days = days.max(1);
    let first = today - chrono::Days::new(days as u64 - 1);
    let mut series: BTreeMap<&str, Vec<u64>> = watches.iter().map(|w| (w.as_str(), vec![0; days])).collect();
    for (w, d, n) in rows {
        if *d < first || *d > today {
            continue;
        }
        let idx = (*d - first).num_days() as usize;
        series.entry(w.as_str()).or_insert_with(|| vec![0; days])[idx] += n;
    }
    series.into_iter().map(|(w, daily)| judge(w, daily)).collect()
}

fn judge(watch: &str, daily: Vec<u64>) -> Trend {
    let today = *daily.last().unwrap_or(&0);
    let before = &daily[..daily.len().saturating_sub(1)];
    let base = &before[before.len().saturating_sub(BASELINE_DAYS)..];
    let (mean, sd) = mean_sd(base);
    let t = today as f64;
    let spike = today >= 3 && t >= 2.0 * mean && t > mean + 3.0 * sd;
    Trend {
        watch: watch.to_string(),
        sparkline: sparkline(&daily),
        today,
        baseline_mean: mean,
        baseline_sd: sd,
        spike,
        daily,
    }
}

fn mean_sd(xs: &[u64]) -> (f64, f64) {
    if xs.is_empty() {
        return (0.0, 0.0);
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<u64>() as f64 / n;
    let var = xs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// Eight-level block characters scaled to the series' maximum; zero is the lowest block.
pub fn sparkline(xs: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = xs.iter().copied().max().unwrap_or(0);
    xs.iter()
        .map(|&x| {
            if max == 0 {
                BARS[0]
            } else {
                BARS[((x as f64 / max as f64) * 7.0).round() as usize]
            }
        })
        .collect()
}

/// The one-line summary of a spike, as the CLI and the digest print it.
pub fn spike_line(t: &Trend) -> String {
    format!(
        "{}: {} items today against a daily mean of {:.1} (sd {:.1}) over the previous {} days",
        t.watch, t.today, t.baseline_mean, t.baseline_sd, BASELINE_DAYS
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn flags_a_seeded_spike_and_not_a_flat_series() {
        let mut rows = Vec::new();
        for d in 1..=27 {
            rows.push(("ai".to_string(), day(d), 2));
            rows.push(("rare-earths".to_string(), day(d), 1 + (d as u64 % 2)));
        }
        rows.push(("ai".to_string(), day(28), 2));
        rows.push(("rare-earths".to_string(), day(28), 12));
        let t = trends(
            &rows,
            &["ai".into(), "rare-earths".into(), "quiet".into()],
            day(28),
            30,
        );
        let by = |w: &str| t.iter().find(|t| t.watch == w).unwrap().clone();
        assert!(!by("ai").spike, "flat series");
        assert!(by("rare-earths").spike);
        assert_eq!(by("rare-earths").today, 12);
        assert!(!by("quiet").spike);
        assert_eq!(by("quiet").daily, vec![0; 30]);
        assert_eq!(by("ai").daily.len(), 30);
        assert_eq!(by("rare-earths").sparkline.chars().last(), Some('█'));
        assert!(spike_line(&by("rare-earths")).contains("12 items today"));
    }

    #[test]
    fn small_counts_never_spike() {
        let rows = vec![("x".to_string(), day(28), 2)];
        assert!(!trends(&rows, &[], day(28), 30)[0].spike);
    }
}
