#!/usr/bin/env python3
"""Synthesise a maildir of N realistic-looking emails, deterministically.

    python3 bench/search/make_mail.py OUT_MAILDIR [--n 20000] [--seed 2016] [--queries FILE]

Writes OUT_MAILDIR/{cur,new,tmp}/ and FILE (default OUT_MAILDIR.queries.json):
the benchmark queries (words picked from the generated vocabulary at chosen
frequency ranks) written for both notmuch and leaktrace.

What the messages look like:
  * senders and recipients among a few hundred made-up people on a handful of
    made-up domains, some with non-ASCII display names (RFC 2047 encoded);
    a few people write most of the mail (Zipf);
  * Date spread over 2016 in several time zones; Message-ID on the sender's
    domain; about a third are replies (Re:, In-Reply-To, References, a quoted
    excerpt of the parent), a few forwards;
  * plain-text bodies of 120-500 words: English function words and a few
    hundred common business words, then a long tail of made-up words drawn
    from a Zipf distribution (so a word's rank decides how many messages hold
    it: rank 10 -> most messages, rank 20,000 -> a dozen in 20,000);
  * ~15% multipart/alternative with an HTML part, ~3% multipart/mixed with a
    small text or CSV attachment (base64). Attachment text draws on its own
    words, so a search for one tells whether attachment text is indexed.

The made-up words are consonant-vowel syllables ending in a, o or u, so no
stemmer (notmuch stems English) maps two of them together, and the real
words are base forms with no other form in the list: hit counts of the two
tools are comparable.
"""

import argparse
import base64
import bisect
import itertools
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone
from email.header import Header
from email.utils import format_datetime

FUNCTION_WORDS = (
    "the of and to a in that is for it as with was on be by at this have from or an "
    "but not are we you they he she his her their our will would can could should may "
    "there which when what who if so all about up out into than then them some any "
    "also just more very only over after before been has had were do does did"
).split()

# Base forms only, none another's stem (notmuch stems, tantivy does not).
COMMON_WORDS = (
    "budget account transfer contract review draft schedule office client payment "
    "invoice board project deadline approval team quarter forecast legal counsel "
    "vendor audit policy memo campaign donor press statement call agenda minutes "
    "update travel hotel flight dinner lunch agreement proposal signature bank wire "
    "offshore fund trust committee senator director manager lawyer partner source "
    "document file folder copy version note question answer issue problem risk "
    "plan strategy message email phone number address week month year today tomorrow "
    "morning evening night friday monday tuesday wednesday thursday weekend holiday "
    "staff intern volunteer event venue ticket speech draft poll data research "
    "analysis chart figure table slide deck summary detail point item list topic "
    "decision vote result outcome option choice price cost fee tax salary bonus "
    "revenue profit loss debt loan credit cash check receipt expense claim refund "
    "server password login backup archive record log access security breach leak "
    "reporter journalist story article interview quote comment reply response "
    "request favor help support thanks sorry please urgent important confidential "
    "private personal internal external final revised new old next last first second "
    "third other same different big small large short long early late soon quick"
).split()

ATTACHMENT_WORDS = (
    "ledger subtotal annex appendix exhibit worksheet reconciliation beneficiary "
    "routing swift iban remittance"
).split()

FIRST = (
    "Alice Brian Carla Dmitri Elena Farid Grace Hiro Ines Jonas Katya Liam Maria Noor "
    "Oscar Priya Quinn Rafael Sofia Tomas Uma Victor Wen Ximena Yusuf Zoe Anders Bianca "
    "Cyril Dalia Emil Fatima Gustav Hana Igor Julia Kofi Lena Marco Nadia Olga Pavel "
    "Rosa Sven Tara Ugo Vera Walter Yara Zeynep"
).split()
LAST = (
    "Abbott Baranov Castillo Dubois Eriksen Fischer Garcia Haddad Ivanova Jensen Kowalski "
    "Lindqvist Moreau Novak Okafor Petrov Quist Rossi Santos Tanaka Ulrich Varga Weber "
    "Xu Yilmaz Zimmer Brennan Costa Duarte Engel Fontaine Gallo Horvath Ito Keller"
).split()
ACCENTED = ["José Müller", "Zoë Ångström", "Łukasz Żółć", "Renée Dvořák", "Björn Nuñez", "Ольга Петрова"]
DOMAINS = [
    "harbourline-partners.com", "meridian-consult.org", "kestrelfield.net",
    "northgate-campaign.org", "bluefinch-media.com", "tallow-legal.com", "mail.quillmoor.net",
]
ZONES = [timezone(timedelta(hours=h)) for h in (-7, -5, -4, 0, 0, 1, 2, 3)]

CONS = "bdfgklmnprstvz"
VOWELS = "aiou"  # 'e' and 'y' left out so no stemmer suffix rule fires
ENDS = "aou"


def made_up_words(rng, count, taken):
    out, seen = [], set(taken)
    while len(out) < count:
        n = rng.choice((2, 3, 3, 3, 4))
        w = "".join(rng.choice(CONS) + rng.choice(VOWELS) for _ in range(n - 1)) + rng.choice(CONS) + rng.choice(ENDS)
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def zipf_cum(n, s=1.0, q=2.7):
    return list(itertools.accumulate(1.0 / (r + q) ** s for r in range(1, n + 1)))


class People:
    def __init__(self, rng, count):
        self.list = []
        seen = set()
        for i in range(count):
            if i < len(ACCENTED) * 4 and i % 4 == 0:
                name = ACCENTED[i // 4]
                local = ["jose.muller", "zoe.angstrom", "lukasz.zolc", "renee.dvorak", "bjorn.nunez", "olga.petrova"][i // 4]
            else:
                f, l = rng.choice(FIRST), rng.choice(LAST)
                name = f"{f} {l}"
                local = rng.choice([f"{f}.{l}", f"{f[0]}{l}", f"{f}", f"{f}_{l}"]).lower()
            dom = DOMAINS[min(len(DOMAINS) - 1, int(rng.paretovariate(1.3)) - 1)]
            addr = f"{local}@{dom}"
            k = 2
            while addr in seen:
                addr = f"{local}{k}@{dom}"
                k += 1
            seen.add(addr)
            self.list.append((name, addr))
        self.cum = zipf_cum(count, s=0.9, q=3.0)

    def pick(self, rng):
        return self.list[bisect.bisect_left(self.cum, rng.random() * self.cum[-1])]


def mailbox(name, addr):
    if name.isascii():
        # Some mailers quote display names, some do not.
        return f'"{name}" <{addr}>' if sum(map(ord, addr)) % 3 == 0 else f"{name} <{addr}>"
    return f"{Header(name, 'utf-8').encode()} <{addr}>"


def wrap(words, width=72):
    lines, line = [], []
    n = 0
    for w in words:
        if n + len(w) + 1 > width and line:
            lines.append(" ".join(line))
            line, n = [], 0
        line.append(w)
        n += len(w) + 1
    if line:
        lines.append(" ".join(line))
    return lines


class Writer:
    def __init__(self, rng):
        self.rng = rng
        self.people = People(rng, 300)
        self.made_up = made_up_words(rng, 30000, FUNCTION_WORDS + COMMON_WORDS + ATTACHMENT_WORDS)
        # Content vocabulary by rank: common real words first, then made-up ones,
        # with some made-up words among the top ranks.
        content = COMMON_WORDS[:]
        head = self.made_up[:60]
        for i, w in enumerate(head):
            content.insert(3 + i * 4, w)
        self.content = content + self.made_up[60:]
        self.content_cum = zipf_cum(len(self.content))
        self.subject_vocab = COMMON_WORDS[:120] + self.made_up[60:400]
        self.subject_cum = zipf_cum(len(self.subject_vocab), s=1.1)
        self.phrases = [("offshore", "account", "transfer", 0.006), ("board", "meeting", "minutes", 0.01)]

    def content_words(self, k):
        r = self.rng
        picks = r.choices(self.content, cum_weights=self.content_cum, k=k)
        fn = r.choices(FUNCTION_WORDS, k=k)
        out = []
        for a, b, u in zip(picks, fn, (r.random() for _ in range(k))):
            out.append(b if u < 0.45 else a)
        return out

    def body(self, to_name, from_name):
        r = self.rng
        words = self.content_words(r.randint(120, 500))
        for *ph, p in self.phrases:
            if r.random() < p * 5:
                at = r.randrange(len(words))
                words[at:at] = ph
        paras, i = [], 0
        while i < len(words):
            step = r.randint(30, 90)
            sent = words[i : i + step]
            # sentences: capitalise and stop every 8-20 words
            out, j = [], 0
            while j < len(sent):
                s = sent[j : j + r.randint(8, 20)]
                s[0] = s[0].capitalize()
                if r.random() < 0.08:
                    s.append(f"${r.randint(1, 999)},{r.randint(0, 999):03d}")
                out.append(" ".join(s) + ".")
                j += len(s)
            paras.append(wrap(" ".join(out).split()))
            i += step
        greeting = f"{r.choice(['Hi', 'Dear', 'Hello', ''])} {to_name.split()[0]},".strip(" ,") + ","
        sign = r.choice(["Best,", "Thanks,", "Regards,", "Cheers,", "--"])
        lines = [greeting, ""]
        for p in paras:
            lines += p + [""]
        lines += [sign, from_name.split()[0]]
        if r.random() < 0.3:
            lines += ["", "--", from_name, f"+1 {r.randint(200, 989)} {r.randint(200, 999)} {r.randint(1000, 9999)}"]
        return lines

    def subject(self):
        r = self.rng
        ws = r.choices(self.subject_vocab, cum_weights=self.subject_cum, k=r.randint(2, 6))
        return " ".join(ws).capitalize()

    def attachment(self, mid):
        r = self.rng
        if r.random() < 0.5:
            rows = ["date,item,amount"] + [
                f"2016-{r.randint(1, 12):02d}-{r.randint(1, 28):02d},{r.choice(ATTACHMENT_WORDS)},{r.randint(10, 99999)}"
                for _ in range(r.randint(5, 40))
            ]
            return f"ledger-{mid % 997}.csv", "text/csv", ("\n".join(rows) + "\n").encode()
        words = r.choices(ATTACHMENT_WORDS, k=r.randint(40, 200))
        return f"notes-{mid % 991}.txt", "text/plain", ("\n".join(wrap(words)) + "\n").encode()

    def html(self, lines):
        paras, cur = [], []
        for l in lines + [""]:
            if l:
                cur.append(l.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
            elif cur:
                paras.append("<p>" + "<br>\n".join(cur) + "</p>")
                cur = []
        return "<html><head><meta charset=\"utf-8\"></head><body style=\"font-family:Arial\">\n" + "\n".join(paras) + "\n</body></html>\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=2016)
    ap.add_argument("--queries", help="where to write the queries (JSON)")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    w = Writer(rng)
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(a.out, d), exist_ok=True)

    start = datetime(2016, 1, 1, tzinfo=timezone.utc).timestamp()
    span = 366 * 86400
    times = sorted(start + rng.random() * span for _ in range(a.n))
    recent = []  # (message-id, subject, references, sender, quoted lines)
    stats = {"replies": 0, "alternative": 0, "attachments": 0}
    for i, t in enumerate(times):
        sender_name, sender = w.people.pick(rng)
        to = []
        while not to or rng.random() < 0.25 and len(to) < 5:
            p = w.people.pick(rng)
            if p[1] != sender and p not in to:
                to.append(p)
        cc = []
        if rng.random() < 0.3:
            for _ in range(rng.randint(1, 3)):
                p = w.people.pick(rng)
                if p[1] != sender and p not in to and p not in cc:
                    cc.append(p)
        dom = sender.split("@")[1]
        mid = f"{int(t)}.{i:06d}.{rng.getrandbits(40):010x}@{dom}"
        date = datetime.fromtimestamp(t, tz=timezone.utc).astimezone(rng.choice(ZONES))
        body = w.body(to[0][0], sender_name)
        headers = []
        parent = None
        if recent and rng.random() < 0.35:
            parent = recent[-1 - min(len(recent) - 1, int(rng.expovariate(1 / 30)))]
        if parent:
            stats["replies"] += 1
            pid, psubj, prefs, pfrom, pquote = parent
            fwd = rng.random() < 0.08
            base = psubj
            while base.lower().startswith(("re: ", "fwd: ")):
                base = base.split(": ", 1)[1]
            subj = ("Fwd: " if fwd else "Re: ") + base
            refs = (prefs + [pid])[-10:]
            headers.append(f"In-Reply-To: <{pid}>")
            headers.append("References: " + "\n ".join(f"<{x}>" for x in refs))
            body += ["", f"On {format_datetime(date - timedelta(hours=3))}, {pfrom} wrote:"] + ["> " + l if l else ">" for l in pquote]
        else:
            subj = w.subject()
            refs = []
        recent.append((mid, subj, refs, sender_name, body[2:8]))
        if len(recent) > 3000:
            del recent[:1000]

        head = [
            f"Return-Path: <{sender}>",
            f"Received: from mx.{dom} (mx.{dom} [192.0.2.{i % 250 + 1}])\n\tby mail.example.net with ESMTPS id {rng.getrandbits(48):012x}\n\tfor <{to[0][1]}>; {format_datetime(date + timedelta(seconds=rng.randint(1, 90)))}",
            f"From: {mailbox(sender_name, sender)}",
            "To: " + ",\n ".join(mailbox(*p) for p in to),
        ]
        if cc:
            head.append("Cc: " + ",\n ".join(mailbox(*p) for p in cc))
        head.append("Subject: " + subj)
        head.append("Date: " + format_datetime(date))
        head.append(f"Message-ID: <{mid}>")
        head += headers
        head.append("MIME-Version: 1.0")
        text = "\n".join(body) + "\n"
        u = rng.random()
        if u < 0.03:
            stats["attachments"] += 1
            b = f"----=_Part_{i}_{rng.getrandbits(32)}"
            name, ctype, data = w.attachment(i)
            enc = base64.encodebytes(data).decode()
            head.append(f'Content-Type: multipart/mixed; boundary="{b}"')
            msg = "\n".join(head) + "\n\nThis is a multi-part message in MIME format.\n\n" + (
                f"--{b}\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n{text}\n"
                f"--{b}\nContent-Type: {ctype}; name=\"{name}\"\nContent-Disposition: attachment; filename=\"{name}\"\n"
                f"Content-Transfer-Encoding: base64\n\n{enc}\n--{b}--\n"
            )
        elif u < 0.18:
            stats["alternative"] += 1
            b = f"----=_Alt_{i}_{rng.getrandbits(32)}"
            head.append(f'Content-Type: multipart/alternative; boundary="{b}"')
            msg = "\n".join(head) + "\n\n" + (
                f"--{b}\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n{text}\n"
                f"--{b}\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n{w.html(body)}\n--{b}--\n"
            )
        else:
            head.append("Content-Type: text/plain; charset=us-ascii")
            head.append("Content-Transfer-Encoding: 7bit")
            msg = "\n".join(head) + "\n\n" + text
        seen = rng.random() < 0.85
        fname = f"{int(t)}.M{i:06d}P{1000 + i % 9000}.bench.example" + (":2,S" if seen else "")
        with open(os.path.join(a.out, "cur" if seen else "new", fname), "w", encoding="utf-8") as f:
            f.write(msg)

    # Queries, from the vocabulary by rank (the frequency a rank gives is
    # stable across seeds; the words themselves change with the seed).
    common = "budget"            # rank 1 of the content words
    medium = w.content[400]      # a made-up word, a few % of messages
    rare = w.content[20000]      # about a dozen messages in 20,000
    subj_word = w.subject_vocab[6]  # a common word; 3-4% of subjects
    not_word = w.content[50]        # in about a quarter of the messages
    prolific = w.people.list[0][1]
    second = w.people.list[3][1]
    queries = [
        ("common word", common, common),
        ("rare word", rare, rare),
        ("medium word", medium, medium),
        ("phrase", '"offshore account transfer"', '"offshore account transfer"'),
        ("from:address", f"from:{prolific}", f"from:{prolific}"),
        # notmuch's to: covers To and Cc; leaktrace has to: and cc:
        ("to: or cc: address", f"to:{second}", f"to:{second} OR cc:{second}"),
        ("subject:word", f"subject:{subj_word}", f"subject:{subj_word}"),
        ("AND", f"{common} AND {medium}", f"{common} AND {medium}"),
        ("AND NOT", f"{medium} AND NOT {not_word}", f"{medium} AND NOT {not_word}"),
        ("date range (March)", "date:2016-03-01..2016-03-31",
         "time:[2016-03-01T00:00:00Z TO 2016-04-01T00:00:00Z}"),
        ("word + date range", f"{medium} AND date:2016-03-01..2016-03-31",
         f"{medium} AND time:[2016-03-01T00:00:00Z TO 2016-04-01T00:00:00Z}}"),
        ("attachment-only word", "reconciliation", "reconciliation"),
    ]
    with open(a.queries or a.out.rstrip("/") + ".queries.json", "w") as f:
        json.dump([{"name": n, "notmuch": q1, "leaktrace": q2} for n, q1, q2 in queries], f, indent=1)
    print(f"{a.n} messages in {a.out}: {stats['replies']} replies, {stats['alternative']} with an HTML alternative, "
          f"{stats['attachments']} with an attachment", file=sys.stderr)


if __name__ == "__main__":
    main()
