//! The story page shows a notice's effective date and attachments as stored with the item at
//! poll time (`items.notice`, what digests and `hits` show too), and reads them from the
//! item's text only for items stored without them.

use crate::serve::{STORY, db_count, feed, filled, get, serve};
use crate::server::Reply;

#[test]
fn the_story_page_shows_the_stored_notice_facts_and_reads_them_only_when_absent() {
    let (env, _srv) = filled();
    let lead = db_count(&env, "SELECT coalesce(story_id, id) FROM items WHERE guid = 'a1'");
    let stored: String = rusqlite::Connection::open(env.db())
        .unwrap()
        .query_row("SELECT notice FROM items WHERE id = ?1", [lead], |r| r.get(0))
        .expect("the poll stored the facts of an item with hits");
    assert!(stored.contains("-12-01"), "{stored}");

    // Facts unlike anything the text says: the page shows these, so it read the stored ones.
    let set = |notice: Option<&str>| {
        rusqlite::Connection::open(env.db())
            .unwrap()
            .execute("UPDATE items SET notice = ?1", [notice])
            .unwrap();
    };
    set(Some(
        r#"{"effective":"2031-01-02","attachments":["https://files.example/annex-1.pdf"]}"#,
    ));
    {
        let s = serve(&env, "127.0.0.1:0");
        let page = get(&s.addr, &format!("/story/{lead}"));
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("<dd>2031-01-02</dd>"), "{}", page.body);
        // Slashes are escaped in HTML.
        assert!(
            page.body.contains("files.example&#x2f;annex-1.pdf"),
            "{}",
            page.body
        );
        assert!(!page.body.contains("-12-01</dd>"), "{}", page.body);
    }

    // Not read at poll time: the page reads the text, as before.
    set(None);
    let s = serve(&env, "127.0.0.1:0");
    let page = get(&s.addr, &format!("/story/{lead}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("-12-01</dd>"), "{}", page.body);
    assert!(!page.body.contains("2031-01-02"), "{}", page.body);
    assert!(!page.body.contains("annex-1.pdf"), "{}", page.body);
}

#[test]
fn an_edit_replaces_the_stored_notice_facts() {
    let (env, srv) = filled();
    let a1 = db_count(&env, "SELECT id FROM items WHERE guid = 'a1'");
    let notice = || -> String {
        rusqlite::Connection::open(env.db())
            .unwrap()
            .query_row("SELECT notice FROM items WHERE id = ?1", [a1], |r| r.get(0))
            .unwrap()
    };
    assert!(notice().contains("-12-01"), "{}", notice());
    let edited = feed(&[(
        "a1",
        STORY,
        "https://news.example/a1",
        "The Ministry of Commerce said export controls on rare earth processing technology \
         now take effect on March 3, covering equipment and services.",
    )]);
    srv.route("/a.xml", Reply::ok("application/rss+xml", edited));
    env.ok(&["poll"]);
    let status = db_count(
        &env,
        &format!("SELECT status = 'edited' FROM items WHERE id = {a1}"),
    );
    assert_eq!(status, 1, "the item was stored as edited");
    // The old date would be stale beside the new text.
    assert!(
        notice().contains("-03-03") && !notice().contains("-12-01"),
        "{}",
        notice()
    );
}
