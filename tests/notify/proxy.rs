//! Channels behind `[fetch] proxy`: a firm that must go through a proxy reaches its chat and
//! webhook receivers through it. Every receiver here is on 127.0.0.1, so a receiver that is
//! *not* local is made the way such a firm has one: its URL is a public address
//! (93.184.216.34, which is never connected to) and `[fetch] proxy` names a local receiver
//! that plays the proxy and takes the message for it. A receiver on loopback (ntfy beside
//! sigwatch) is reached direct, as loopback feeds are.

use crate::receiver::Receiver;
use crate::{Env, config, feed_server};

/// The public address the proxy takes messages for.
const PUBLIC: &str = "http://93.184.216.34";

#[test]
fn a_webhook_elsewhere_gets_its_message_through_the_proxy_and_loopback_goes_direct() {
    let srv = feed_server();
    let proxy = Receiver::start(&[]);
    let local = Receiver::start(&[]);
    let channels = format!(
        "[fetch]\nproxy = \"{}\"\nconnect_timeout = \"2s\"\n\n\
         [[notify]]\nname = \"incident-hook\"\nkind = \"webhook\"\nurl = \"{PUBLIC}/hooks/sigwatch\"\ntimeout = \"10s\"\n\n\
         [[notify]]\nname = \"local-hook\"\nkind = \"webhook\"\nurl = \"{}\"\n",
        proxy.base,
        local.url("/hook"),
    );
    let env = Env::new(&config(&srv, None, "", "", &channels));
    env.ok(&["check"]);
    env.ok(&["poll"]);

    let via = proxy.seen();
    assert_eq!(via.len(), 1, "one alert through the proxy: {via:?}");
    let r = &via[0];
    // An HTTP proxy is asked for the whole URL; the message is the channel's, untouched.
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "http://93.184.216.34/hooks/sigwatch")
    );
    assert_eq!(r.header("host"), "93.184.216.34");
    assert!(
        r.header("idempotency-key").starts_with("sigwatch-alert-"),
        "{r:?}"
    );
    let body = r.json();
    assert_eq!(body["kind"], "alert", "{body}");
    assert!(body.to_string().contains("gallium"), "{body}");

    // The receiver on loopback got its own copy direct, not through the proxy.
    let direct = local.seen_at("/hook");
    assert_eq!(direct.len(), 1, "{:?}", local.seen());
    assert!(proxy.seen().iter().all(|r| !r.path.contains("127.0.0.1")));
    let rows = env.channel_status("incident-hook");
    assert!(rows.iter().all(|r| r["status"] == "sent"), "{rows:?}");

    // `test-notify` goes the same way.
    let out = env.ok(&["test-notify", "incident-hook"]);
    assert_eq!(proxy.seen().len(), 2, "{out}");
}
