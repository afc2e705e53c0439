//! The schema, as an ordered list of migrations; `PRAGMA user_version` counts those applied.

/// Each entry upgrades the schema from version `i` to `i + 1`. Never edit a released entry:
/// add a new one.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: sources with their fetch state, every item, hits, and a trigram full-text index.
    r#"
    CREATE TABLE sources (
        id                   INTEGER PRIMARY KEY,
        name                 TEXT NOT NULL UNIQUE,
        url                  TEXT NOT NULL,
        etag                 TEXT,
        last_modified        TEXT,
        last_fetch           INTEGER,
        last_status          TEXT,
        last_error           TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        last_success         INTEGER
    );
    CREATE TABLE items (
        id         INTEGER PRIMARY KEY,
        source_id  INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        uid        TEXT NOT NULL,
        guid       TEXT,
        link       TEXT,
        title      TEXT NOT NULL,
        summary    TEXT NOT NULL,
        text       TEXT NOT NULL,
        published  INTEGER,
        first_seen INTEGER NOT NULL,
        UNIQUE (source_id, uid)
    );
    CREATE INDEX items_source_published ON items(source_id, published);
    CREATE INDEX items_first_seen ON items(first_seen);
    CREATE TABLE hits (
        id            INTEGER PRIMARY KEY,
        item_id       INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        watch         TEXT NOT NULL,
        term          TEXT NOT NULL,
        field         TEXT NOT NULL,
        start         INTEGER NOT NULL,
        end           INTEGER NOT NULL,
        snippet       TEXT NOT NULL,
        snippet_start INTEGER NOT NULL,
        snippet_end   INTEGER NOT NULL,
        watch_version TEXT NOT NULL,
        created       INTEGER NOT NULL,
        UNIQUE (item_id, watch, term, field, start)
    );
    CREATE INDEX hits_watch_created ON hits(watch, created);
    CREATE INDEX hits_created ON hits(created);
    CREATE VIRTUAL TABLE items_fts USING fts5(
        title, text, content = 'items', content_rowid = 'id', tokenize = 'trigram'
    );
    CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
        INSERT INTO items_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END;
    CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
        INSERT INTO items_fts(items_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    END;
    CREATE TRIGGER items_fts_update AFTER UPDATE OF title, text ON items BEGIN
        INSERT INTO items_fts(items_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO items_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END;
    "#,
    // 2: scheduling state that must survive restarts: when a source is next due (backoff and
    // Retry-After), since when it fails, why it was disabled (410), and the URL the config
    // gave, so a permanent redirect can move `url` without losing track of the config.
    r#"
    ALTER TABLE sources ADD COLUMN config_url TEXT;
    UPDATE sources SET config_url = url;
    ALTER TABLE sources ADD COLUMN next_poll INTEGER;
    ALTER TABLE sources ADD COLUMN failing_since INTEGER;
    ALTER TABLE sources ADD COLUMN disabled_reason TEXT;
    "#,
    // 3: each hit carries its item's date (published, else first seen) and source, so that
    // listing, filtering and counting hits read one covering index instead of joining a
    // million items.
    r#"
    ALTER TABLE hits ADD COLUMN item_date INTEGER;
    ALTER TABLE hits ADD COLUMN source_id INTEGER;
    UPDATE hits SET
        item_date = (SELECT coalesce(i.published, i.first_seen) FROM items i WHERE i.id = hits.item_id),
        source_id = (SELECT i.source_id FROM items i WHERE i.id = hits.item_id);
    DROP INDEX hits_watch_created;
    CREATE INDEX hits_date ON hits(item_date, watch, source_id);
    CREATE INDEX hits_watch_date ON hits(watch, item_date);
    CREATE INDEX hits_source_date ON hits(source_id, item_date);
    CREATE INDEX items_date ON items(coalesce(published, first_seen));
    CREATE INDEX items_source_date ON items(source_id, coalesce(published, first_seen));
    "#,
    // 4: the outbox. A hit is taken into one digest (digest_id) in the same transaction that
    // stores the rendered message; hits found in a source's first fetch are its backlog and
    // are not mailed unless asked.
    r#"
    ALTER TABLE hits ADD COLUMN digest_id INTEGER;
    ALTER TABLE hits ADD COLUMN backlog INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX hits_untaken ON hits(item_date) WHERE digest_id IS NULL;
    CREATE TABLE digests (
        id           INTEGER PRIMARY KEY,
        created      INTEGER NOT NULL,
        message_id   TEXT NOT NULL UNIQUE,
        subject      TEXT NOT NULL,
        sender       TEXT NOT NULL,
        recipients   TEXT NOT NULL,
        message      BLOB NOT NULL,
        hits         INTEGER NOT NULL,
        status       TEXT NOT NULL DEFAULT 'queued',
        attempts     INTEGER NOT NULL DEFAULT 0,
        next_attempt INTEGER NOT NULL,
        last_error   TEXT,
        sent_at      INTEGER
    );
    CREATE INDEX digests_queue ON digests(status, next_attempt);
    "#,
    // 5: immediate alerts. A hit of an `alert = "immediate"` watch is mailed at once as an
    // alert (alert_id) and still appears, marked as alerted, in the next digest.
    r#"
    ALTER TABLE hits ADD COLUMN alert_id INTEGER;
    ALTER TABLE digests ADD COLUMN kind TEXT NOT NULL DEFAULT 'digest';
    "#,
    // 6: signals beyond keywords. Items keep their earlier revisions and a status (edited,
    // withdrawn) with the events that set it; a source remembers the order of its last list,
    // to tell an item taken down from one pushed out; hits carry a priority score; items with
    // hits carry a MinHash signature (its LSH bands are kept in memory), and the story they
    // were folded into.
    r#"
    ALTER TABLE items ADD COLUMN status TEXT;
    ALTER TABLE items ADD COLUMN revised INTEGER;
    ALTER TABLE items ADD COLUMN fingerprint TEXT;
    ALTER TABLE items ADD COLUMN story_id INTEGER;
    ALTER TABLE items ADD COLUMN folded_into INTEGER;
    ALTER TABLE items ADD COLUMN similarity REAL;
    CREATE INDEX items_story ON items(story_id) WHERE story_id IS NOT NULL;
    CREATE TABLE revisions (
        id       INTEGER PRIMARY KEY,
        item_id  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        title    TEXT NOT NULL,
        summary  TEXT NOT NULL,
        text     TEXT NOT NULL,
        fetched  INTEGER NOT NULL,
        replaced INTEGER NOT NULL
    );
    CREATE INDEX revisions_item ON revisions(item_id);
    CREATE TABLE events (
        id        INTEGER PRIMARY KEY,
        item_id   INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        kind      TEXT NOT NULL,
        at        INTEGER NOT NULL,
        detail    TEXT NOT NULL,
        digest_id INTEGER
    );
    CREATE INDEX events_item ON events(item_id);
    CREATE INDEX events_unsent ON events(at) WHERE digest_id IS NULL;
    ALTER TABLE sources ADD COLUMN listed TEXT;
    ALTER TABLE hits ADD COLUMN score REAL NOT NULL DEFAULT 1.0;
    CREATE TABLE signatures (
        item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        sig     BLOB NOT NULL
    );
    "#,
    // 7: only items with hits are indexed for search (`hits --search` looks for nothing else),
    // by one statement per save or batch (see Store::save and Store::end_batch) rather than a
    // trigger per row: FTS5 writes an index segment per statement, so a row trigger made one
    // segment per item, and indexing and merging every item was most of a cold poll's time.
    // The index holds its own copy of those items' title and text.
    r#"
    DROP TRIGGER items_fts_insert;
    DROP TRIGGER items_fts_delete;
    DROP TRIGGER items_fts_update;
    DROP TABLE items_fts;
    CREATE VIRTUAL TABLE items_fts USING fts5(title, text, tokenize = 'trigram');
    INSERT INTO items_fts(rowid, title, text)
        SELECT id, title, text FROM items WHERE id IN (SELECT item_id FROM hits);
    CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
        DELETE FROM items_fts WHERE rowid = old.id;
    END;
    CREATE TRIGGER items_fts_update AFTER UPDATE OF title, text ON items BEGIN
        UPDATE items_fts SET title = new.title, text = new.text WHERE rowid = new.id;
    END;
    "#,
    // 8: a cold poll writes tens of thousands of items in one go, so the write path was
    // measured (perf on `bench/compare.sh`'s farm) and trimmed: three indexes no query reads
    // (items by source and published date, items by first seen, hits by created: listing
    // and pruning go by the item's date, published else first seen) are dropped; the search
    // index merges 16 segments at a time rather than 4, and only when 64 pile up rather than
    // 16 when it must, which halves its merge work for a few more segments to read.
    r#"
    DROP INDEX items_source_published;
    DROP INDEX items_first_seen;
    DROP INDEX hits_created;
    INSERT INTO items_fts(items_fts, rank) VALUES ('automerge', 16);
    INSERT INTO items_fts(items_fts, rank) VALUES ('crisismerge', 64);
    "#,
    // 9: the search index keeps neither positions nor a copy of the text (detail=none,
    // contentless): it tells which items have every three-character piece of a needle, and
    // the store checks those items' own title and text for the needle itself. Indexing was
    // the largest part of a cold poll's writes (tokenizing, hashing and merging position
    // lists); the index is about a third of its size. Deleting or updating a row by rowid
    // still works (contentless_delete).
    r#"
    DROP TRIGGER items_fts_delete;
    DROP TRIGGER items_fts_update;
    DROP TABLE items_fts;
    CREATE VIRTUAL TABLE items_fts USING fts5(
        title, text, tokenize = 'trigram', detail = 'none', content = '', contentless_delete = 1
    );
    INSERT INTO items_fts(items_fts, rank) VALUES ('automerge', 16);
    INSERT INTO items_fts(items_fts, rank) VALUES ('crisismerge', 64);
    INSERT INTO items_fts(rowid, title, text)
        SELECT id, title, text FROM items WHERE id IN (SELECT item_id FROM hits);
    CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
        DELETE FROM items_fts WHERE rowid = old.id;
    END;
    CREATE TRIGGER items_fts_update AFTER UPDATE OF title, text ON items
        WHEN EXISTS (SELECT 1 FROM hits WHERE item_id = new.id) BEGIN
        UPDATE items_fts SET title = new.title, text = new.text WHERE rowid = new.id;
    END;
    "#,
    // 10: fewer indexes keyed by an item's date. Items arrive in any order of date, so each
    // such index takes every new row at a random place: a cold poll dirtied many index pages
    // per batch, and writing them (to the log, then the database) was much of its time.
    // Items by date served only pruning (a scan, once a day) and the order of
    // `search_items`' results (items with hits only); hits by watch and date are served by
    // hits by date, which holds the watch too; the outbox's untaken hits are few, so they are
    // kept in the order they were found and sorted when read. See docs/performance.md.
    r#"
    DROP INDEX items_date;
    DROP INDEX hits_watch_date;
    DROP INDEX hits_untaken;
    CREATE INDEX hits_untaken ON hits(digest_id) WHERE digest_id IS NULL;
    "#,
    // 11: a bulk load indexes its items with hits for search at its end, in one statement
    // (see Store::begin_bulk): FTS5 wrote a segment per batch and then merged them, work one
    // statement does not need. Until then they are listed here, so that a
    // load cut short is indexed by the next store opened for writing.
    r#"
    CREATE TABLE unindexed (
        item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE
    );
    "#,
    // 12: the search index gathers up to 4 MB of new entries in memory before it writes them
    // as a segment (FTS5's default is 1 MB). A bulk load indexes all its items in one
    // statement, and with 1 MB a large one made more segments than automerge's 16, which then
    // had to be merged; 4 MB avoids that for a few MB more memory at that moment, and larger
    // sizes gained nothing. A poll of a few sources indexes far less than 1 MB, and is
    // unchanged. See docs/performance.md.
    r#"
    INSERT INTO items_fts(items_fts, rank) VALUES ('hashsize', 4194304);
    "#,
    // 13: a hit is an item in a watch. Hits were a row per term occurrence, so one notice
    // made many rows and every count counted occurrences; now one row per (item, watch) keeps
    // the first occurrence's term, place and snippet in its columns and every matched term in
    // `terms` (a JSON array of term, field, start, end and matched text). A folded row keeps
    // the best score and the earliest digest and alert of the rows it replaces. The search
    // index's trigger names `hits`, so it is recreated around the table's rebuild.
    r#"
    DROP TRIGGER items_fts_update;
    CREATE TABLE hits_v13 (
        id            INTEGER PRIMARY KEY,
        item_id       INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        watch         TEXT NOT NULL,
        term          TEXT NOT NULL,
        field         TEXT NOT NULL,
        start         INTEGER NOT NULL,
        end           INTEGER NOT NULL,
        snippet       TEXT NOT NULL,
        snippet_start INTEGER NOT NULL,
        snippet_end   INTEGER NOT NULL,
        watch_version TEXT NOT NULL,
        created       INTEGER NOT NULL,
        item_date     INTEGER,
        source_id     INTEGER,
        digest_id     INTEGER,
        backlog       INTEGER NOT NULL DEFAULT 0,
        alert_id      INTEGER,
        score         REAL NOT NULL DEFAULT 1.0,
        terms         TEXT NOT NULL DEFAULT '[]',
        UNIQUE (item_id, watch)
    );
    INSERT INTO hits_v13(id, item_id, watch, term, field, start, end, snippet, snippet_start,
                         snippet_end, watch_version, created, item_date, source_id, digest_id,
                         backlog, alert_id, score, terms)
    SELECT f.id, f.item_id, f.watch, f.term, f.field, f.start, f.end, f.snippet, f.snippet_start,
           f.snippet_end, f.watch_version, f.created, f.item_date, f.source_id, g.digest_id,
           g.backlog, g.alert_id, g.score,
           (SELECT json_group_array(json_object(
                       'term', t.term, 'field', t.field, 'start', t.start, 'end', t.end,
                       'matched', CAST(substr(CAST(t.snippet AS BLOB), t.snippet_start + 1,
                                              t.snippet_end - t.snippet_start) AS TEXT))
                   ORDER BY t.id)
            FROM hits t WHERE t.item_id = f.item_id AND t.watch = f.watch)
    FROM (SELECT min(id) AS id, min(digest_id) AS digest_id, min(backlog) AS backlog,
                 min(alert_id) AS alert_id, max(score) AS score
          FROM hits GROUP BY item_id, watch) g
    JOIN hits f ON f.id = g.id;
    DROP TABLE hits;
    ALTER TABLE hits_v13 RENAME TO hits;
    CREATE INDEX hits_date ON hits(item_date, watch, source_id);
    CREATE INDEX hits_source_date ON hits(source_id, item_date);
    CREATE INDEX hits_untaken ON hits(digest_id) WHERE digest_id IS NULL;
    CREATE TRIGGER items_fts_update AFTER UPDATE OF title, text ON items
        WHEN EXISTS (SELECT 1 FROM hits WHERE item_id = new.id) BEGIN
        UPDATE items_fts SET title = new.title, text = new.text WHERE rowid = new.id;
    END;
    "#,
    // 14: an item's document numbers (`notice::encode`), so that copies join their story by
    // the number they cite and near-identical notices of different numbers never join, and so
    // that `show`, `hits` and digests can print them. Items stored before have none.
    r#"
    ALTER TABLE items ADD COLUMN doc_numbers TEXT;
    "#,
    // 15: what an item with hits says of itself as a notice, read at poll time
    // (`notice::facts`): the date it takes effect and the links to its attachments, as JSON,
    // so that `hits` and digests show them without reading every item's text again. NULL
    // means not read (items stored before, or without hits): `rematch` reads those. And the
    // alert that told of an edit or a withdrawal of an alerted item (events.alert_id), so
    // that each change alerts once.
    r#"
    ALTER TABLE items ADD COLUMN notice TEXT;
    ALTER TABLE events ADD COLUMN alert_id INTEGER;
    "#,
    // 16: machine-translated glosses of the titles and snippets of items with hits. A row per
    // text sent (keyed by the original, so that a gloss is shown only under the text it
    // translates and a text is never sent twice); a NULL gloss is a text the service refused,
    // not asked again. Characters sent per UTC day, for `[translate] max_chars_per_day`, and
    // why the last run stopped, for the digest's one line about missing glosses.
    r#"
    CREATE TABLE glosses (
        item_id  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        original TEXT NOT NULL,
        gloss    TEXT,
        service  TEXT NOT NULL,
        at       INTEGER NOT NULL,
        PRIMARY KEY (item_id, original)
    ) WITHOUT ROWID;
    CREATE TABLE gloss_days (
        day   TEXT PRIMARY KEY,
        chars INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE gloss_status (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        at      INTEGER NOT NULL,
        problem TEXT
    );
    "#,
    // 17: the outbox of channels besides mail (`[[notify]]`). A message is stored with its
    // body and idempotency key in the transaction that takes its hits for that channel
    // (`channel_hits`, one row per hit, channel and kind), so a hit sent to one channel is
    // still pending for another; `headers` holds the request headers that belong to the
    // message (a JSON list of name and value pairs). A channel takes, for each kind of
    // message, the hits after `after_hit`: the newest hit of the moment it was first seen
    // (adding a channel does not send the past), then of its last round (what a round passed
    // over was not for it), so that a round reads only the hits stored since. A deleted hit's
    // rows go with it, since hit ids can be used again.
    r#"
    CREATE TABLE deliveries (
        id           INTEGER PRIMARY KEY,
        channel      TEXT NOT NULL,
        kind         TEXT NOT NULL,
        created      INTEGER NOT NULL,
        key          TEXT NOT NULL UNIQUE,
        summary      TEXT NOT NULL,
        headers      TEXT NOT NULL DEFAULT '[]',
        body         BLOB NOT NULL,
        hits         INTEGER NOT NULL,
        status       TEXT NOT NULL DEFAULT 'queued',
        attempts     INTEGER NOT NULL DEFAULT 0,
        next_attempt INTEGER NOT NULL,
        last_error   TEXT,
        sent_at      INTEGER
    );
    CREATE INDEX deliveries_queue ON deliveries(status, next_attempt);
    CREATE TABLE channel_hits (
        hit_id      INTEGER NOT NULL,
        channel     TEXT NOT NULL,
        kind        TEXT NOT NULL,
        delivery_id INTEGER NOT NULL,
        PRIMARY KEY (hit_id, channel, kind)
    ) WITHOUT ROWID;
    CREATE TRIGGER channel_hits_delete AFTER DELETE ON hits BEGIN
        DELETE FROM channel_hits WHERE hit_id = old.id;
    END;
    CREATE TABLE channels (
        name      TEXT NOT NULL,
        kind      TEXT NOT NULL,
        after_hit INTEGER NOT NULL,
        PRIMARY KEY (name, kind)
    ) WITHOUT ROWID;
    "#,
    // 18: the entity and action concepts an item with hits names (`watch::Entities`, as
    // JSON), so that an item without a document number joins a story in another language by
    // them (`store::stories`). NULL: none named, or not read (items stored before: `rematch`
    // reads those).
    r#"
    ALTER TABLE items ADD COLUMN entities TEXT;
    "#,
    // 19: each poll cycle's figures, for the web view's health check and metrics: the last
    // cycles themselves (a thousand are kept), and totals since the database was made, which
    // only grow, as Prometheus counters must.
    r#"
    CREATE TABLE cycles (
        id           INTEGER PRIMARY KEY,
        started      INTEGER NOT NULL,
        finished     INTEGER NOT NULL,
        duration_ms  INTEGER NOT NULL,
        fetched      INTEGER NOT NULL,
        not_modified INTEGER NOT NULL,
        failed       INTEGER NOT NULL,
        new_items    INTEGER NOT NULL,
        new_hits     INTEGER NOT NULL
    );
    CREATE TABLE cycle_totals (
        id           INTEGER PRIMARY KEY CHECK (id = 1),
        cycles       INTEGER NOT NULL,
        fetched      INTEGER NOT NULL,
        not_modified INTEGER NOT NULL,
        failed       INTEGER NOT NULL
    );
    "#,
];
