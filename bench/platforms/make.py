"""Synthetic inputs for bench/platforms/run.sh: N records per format
(default 1,000,000), shaped like the fixtures in testdata/social/ (fields
after each format's documentation), with 20,000 accounts, hashtags, links,
mentions and a share of reposts / forwards / replies. Deterministic.

    python3 bench/platforms/make.py OUTDIR [N]

Writes OUTDIR/telegram/result.json (one document, pretty-printed as
Telegram Desktop writes it), OUTDIR/bluesky.jsonl (Jetstream events),
OUTDIR/tiktok.jsonl (Research API pages of 100 videos) and
OUTDIR/meta-cl.csv. No photos: the image hashing is not what is measured.
"""

import csv
import json
import os
import random
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
rnd = random.Random(17)
T0 = 1_700_000_000
WORDS = "ferry harbour strike queue pier timetable news vote city council road bridge rain port".split()
TAGS = ["harbourwatch", "ferries", "vote", "news", "port"]
ACCOUNTS = 20_000


def text():
    w = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(6, 18)))
    return w[:1].upper() + w[1:]


os.makedirs(os.path.join(out, "telegram"), exist_ok=True)

# Telegram: a supergroup export, indent=1 like Telegram Desktop.
with open(os.path.join(out, "telegram", "result.json"), "w", encoding="utf-8") as f:
    f.write('{\n "name": "Bench Demo",\n "type": "public_supergroup",\n "id": 1700000001,\n "messages": [\n')
    for i in range(1, n + 1):
        u = rnd.randrange(ACCOUNTS)
        m = {"id": i, "type": "message", "date": "2023-11-14T22:13:20", "date_unixtime": str(T0 + i),
             "from": "User %d" % u, "from_id": "user%d" % (5_000_000_000 + u)}
        r = rnd.random()
        if r < 0.2:
            m["forwarded_from"] = "Channel %d" % (i % 500)
            m["forwarded_from_id"] = "channel%d" % (1_700_000_000 + i % 500)
        elif r < 0.3 and i > 1:
            m["reply_to_message_id"] = rnd.randrange(1, i)
        tag = rnd.choice(TAGS)
        m["text"] = [text() + " ", {"type": "hashtag", "text": "#" + tag}, " ",
                     {"type": "text_link", "text": "here", "href": "https://news.example.org/%d" % (i % 2000)}]
        m["text_entities"] = [{"type": "plain", "text": text() + " "}, {"type": "hashtag", "text": "#" + tag}, {"type": "plain", "text": " "},
                              {"type": "text_link", "text": "here", "href": "https://news.example.org/%d" % (i % 2000)}]
        body = json.dumps(m, ensure_ascii=False, indent=1)
        f.write("  " + body.replace("\n", "\n  ") + (",\n" if i < n else "\n"))
    f.write(" ]\n}\n")

# Bluesky: Jetstream commit events, posts with facets, reposts, replies.
with open(os.path.join(out, "bluesky.jsonl"), "w", encoding="utf-8") as f:
    for i in range(n):
        did = "did:plc:bench%018d" % rnd.randrange(ACCOUNTS)
        target = "at://did:plc:bench%018d/app.bsky.feed.post/p%d" % (rnd.randrange(ACCOUNTS), rnd.randrange(max(i, 1)))
        if rnd.random() < 0.2:
            coll, rec = "app.bsky.feed.repost", {"$type": "app.bsky.feed.repost", "subject": {"uri": target, "cid": "bafy"}, "createdAt": "2023-11-14T22:13:20.000Z"}
        else:
            t = text() + " #" + rnd.choice(TAGS)
            rec = {"$type": "app.bsky.feed.post", "text": t, "createdAt": "2023-11-14T22:13:20.000Z", "langs": ["en"],
                   "facets": [{"index": {"byteStart": 0, "byteEnd": 5}, "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://news.example.org/%d" % (i % 2000)}]}]}
            if rnd.random() < 0.1:
                rec["reply"] = {"root": {"uri": target, "cid": "bafy"}, "parent": {"uri": target, "cid": "bafy"}}
            coll = "app.bsky.feed.post"
        ev = {"did": did, "time_us": (T0 + i) * 1_000_000, "kind": "commit",
              "commit": {"rev": "r%d" % i, "operation": "create", "collection": coll, "rkey": "p%d" % i, "record": rec, "cid": "bafy%d" % i}}
        f.write(json.dumps(ev, separators=(",", ":")) + "\n")

# TikTok: Research API pages of 100 videos.
with open(os.path.join(out, "tiktok.jsonl"), "w", encoding="utf-8") as f:
    for page in range(0, n, 100):
        videos = []
        for i in range(page, min(page + 100, n)):
            tags = rnd.sample(TAGS, 2)
            videos.append({"id": 7_300_000_000_000_000_000 + i, "username": "user_%d" % rnd.randrange(ACCOUNTS), "create_time": T0 + i,
                           "region_code": "FR", "video_description": text() + " #" + tags[0] + " #" + tags[1], "hashtag_names": tags,
                           "music_id": 7_200_000_000_000_000_000 + i % 3000, "like_count": i % 97, "share_count": i % 13})
        f.write(json.dumps({"data": {"videos": videos, "cursor": page + 100, "has_more": True, "search_id": "s"},
                            "error": {"code": "ok", "message": "", "log_id": "l"}}, separators=(",", ":")) + "\n")

# Meta Content Library CSV.
with open(os.path.join(out, "meta-cl.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["id", "creation_time", "text", "lang", "post_owner.id", "post_owner.name", "post_owner.username", "post_owner.type",
                "link_attachment.link", "shared_post_id", "statistics.share_count"])
    for i in range(n):
        u = rnd.randrange(ACCOUNTS)
        shared = str(9_100_000_000_000_000 + rnd.randrange(max(i, 1))) if rnd.random() < 0.2 else ""
        w.writerow([9_100_000_000_000_000 + i, "2023-11-14T22:13:20", "" if shared else text() + " #" + rnd.choice(TAGS), "en",
                    8_100_000_000_000_000 + u, "Page %d" % u, "page.%d" % u, "page", "https://news.example.org/%d" % (i % 2000), shared, i % 50])
