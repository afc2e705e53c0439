//! Arbitrary bytes through decode → parse (feed, html list page, JSON API) → normalize →
//! match, the path every fetched body takes (`sigwatch::fuzzing::pipeline`). Any panic is a
//! bug.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sigwatch::config::Config;
use sigwatch::watch::Matcher;

fn matcher() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| {
        let text = include_str!("../../config/sigwatch.toml");
        let cfg = Config::parse(text, std::path::Path::new("fuzz.toml")).expect("shipped config");
        Matcher::new(&cfg.watch).expect("shipped watches")
    })
}

fuzz_target!(|data: &[u8]| {
    sigwatch::fuzzing::pipeline(data, matcher());
});
