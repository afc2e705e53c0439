"""sigwatch against Python's feedparser over the shared corpus (run through run.sh).

Serves every feed file of the corpus on 127.0.0.1 (port 0), with the same bytes and the same
Content-Type sigwatch's side is given (application/json for .json, application/xml otherwise,
no charset), has feedparser read each URL and sigwatch's `readfeeds` example read each file,
and compares: per file the item count, per item (paired by position) the title, link, id and
date (the same instant within 60 s). Prints every disagreement, then the figures, and exits 1
when a target is missed:

- item counts agree on >= 97 % of the files feedparser reads (a version or an entry),
- titles on >= 99.5 % of items, dates on >= 98 % of the items feedparser dates,
- no file is "ok" with 0 items and no warning while feedparser reads entries from it.

`feedparser-wrong.tsv` lists, after review, the files where feedparser is the one that is
wrong, per field (count, title, date, link, id or all) with the reason: they are left out of
that field's figures and printed as such.
"""

import argparse
import calendar
import html
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import warnings

import feedparser

warnings.filterwarnings("ignore")
EXTS = (".xml", ".rss", ".atom", ".rdf", ".json")
TAG = re.compile(r"<[^>]*>")
SPACE = re.compile(r"\s+")


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def norm_text(s):
    """Tags stripped, entities resolved, space collapsed; control characters dropped, since
    sigwatch drops them from everything an item carries (they could reach a terminal)."""
    if s is None:
        return ""
    s = CONTROL.sub("", s)
    s = TAG.sub(" ", s)
    s = html.unescape(s)
    s = TAG.sub(" ", s)
    return SPACE.sub(" ", s).strip()


def norm_plain(s):
    return (s or "").strip()


def feed_files(corpus):
    out = []
    for d, _, files in os.walk(corpus):
        for f in files:
            if f.endswith(EXTS):
                out.append(os.path.relpath(os.path.join(d, f), corpus))
    return sorted(out)


def serve(corpus):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            rel = self.path.lstrip("/")
            path = os.path.join(corpus, rel)
            try:
                with open(path, "rb") as fh:
                    body = fh.read()
            except OSError:
                self.send_error(404)
                return
            ctype = "application/json" if rel.endswith(".json") else "application/xml"
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def feedparser_reading(base, rel):
    from urllib.parse import quote

    d = feedparser.parse(base + quote(rel))
    items = []
    for e in d.entries:
        t = e.get("published_parsed") or e.get("updated_parsed") or e.get("created_parsed")
        items.append(
            {
                "title": e.get("title"),
                "link": e.get("link"),
                "id": e.get("id"),
                "date": calendar.timegm(t) if t else None,
            }
        )
    return {"version": d.get("version", ""), "bozo": bool(d.get("bozo")), "items": items}


def load_wrong(path):
    wrong = {}
    if not os.path.exists(path):
        return wrong
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 3 or not parts[2].strip():
                sys.exit(f"{path}: every line needs path, field and reason: {line!r}")
            wrong.setdefault(parts[0], set()).add(parts[1])
    return wrong


def pct(a, b):
    return 100.0 * a / b if b else 100.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--sigwatch", required=True)
    ap.add_argument("--wrong", required=True)
    ap.add_argument("--quiet", action="store_true", help="figures only")
    args = ap.parse_args()

    files = feed_files(args.corpus)
    wrong = load_wrong(args.wrong)
    server = serve(args.corpus)
    base = "http://127.0.0.1:%d/" % server.server_address[1]

    run = subprocess.run(
        [args.sigwatch, args.corpus],
        input="\n".join(files) + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    ours = {}
    for line in run.stdout.splitlines():
        r = json.loads(line)
        ours[r["path"]] = r

    files_read = counts_agree = 0
    titles = titles_agree = dates = dates_agree = 0
    links = links_agree = ids = ids_agree = 0
    silent = []
    lines = []
    for rel in files:
        fp = feedparser_reading(base, rel)
        sw = ours.get(rel, {"status": "missing", "warnings": [], "items": []})
        w = wrong.get(rel, set())
        if not (fp["version"] or fp["items"]):
            continue
        if sw["status"] == "ok" and not sw["items"] and fp["items"] and not sw["warnings"] and not w & {"all", "count"}:
            silent.append(rel)
        if not w & {"all", "count"}:
            files_read += 1
            if len(fp["items"]) == len(sw["items"]):
                counts_agree += 1
            else:
                lines.append(
                    f"count\t{rel}\tfeedparser {len(fp['items'])}, sigwatch {len(sw['items'])} ({sw['status']}; {'; '.join(sw['warnings'])[:200]})"
                )
        for i, (f, s) in enumerate(zip(fp["items"], sw["items"])):
            if not w & {"all", "title"}:
                titles += 1
                if norm_text(f["title"]) == norm_text(s["title"]):
                    titles_agree += 1
                else:
                    lines.append(f"title\t{rel}#{i}\t{norm_text(f['title'])[:80]!r} vs {norm_text(s['title'])[:80]!r}")
            if f["date"] is not None and not w & {"all", "date"}:
                dates += 1
                if s["date"] is not None and abs(s["date"] - f["date"]) <= 60:
                    dates_agree += 1
                else:
                    lines.append(f"date\t{rel}#{i}\t{f['date']} vs {s['date']}")
            if f["link"] and not w & {"all", "link"}:
                links += 1
                if norm_plain(f["link"]) == norm_plain(s["link"]):
                    links_agree += 1
                else:
                    lines.append(f"link\t{rel}#{i}\t{f['link']!r} vs {s['link']!r}")
            if f["id"] and not w & {"all", "id"}:
                ids += 1
                if norm_plain(f["id"]) == norm_plain(s["id"]):
                    ids_agree += 1
                else:
                    lines.append(f"id\t{rel}#{i}\t{f['id']!r} vs {s['id']!r}")
    server.shutdown()

    if not args.quiet:
        for line in lines:
            print(line)
        for rel in silent:
            print(f"silent\t{rel}\tok with 0 items and no warning; feedparser reads entries")
        for rel, fields in sorted(wrong.items()):
            print(f"known\t{rel}\tfeedparser wrong on {', '.join(sorted(fields))} (feedparser-wrong.tsv)")
    c, t, d = pct(counts_agree, files_read), pct(titles_agree, titles), pct(dates_agree, dates)
    print(f"files in corpus: {len(files)}; files feedparser reads (reviewed exceptions left out): {files_read}")
    print(f"item counts agree: {counts_agree}/{files_read} = {c:.2f} % (target 97)")
    print(f"titles agree: {titles_agree}/{titles} = {t:.2f} % (target 99.5)")
    print(f"dates agree within 60 s: {dates_agree}/{dates} = {d:.2f} % (target 98)")
    print(f"links agree: {links_agree}/{links} = {pct(links_agree, links):.2f} %")
    print(f"ids agree: {ids_agree}/{ids} = {pct(ids_agree, ids):.2f} %")
    print(f"'ok' with 0 items while feedparser reads entries: {len(silent)} (target 0)")
    missed = c < 97 or t < 99.5 or d < 98 or silent
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
