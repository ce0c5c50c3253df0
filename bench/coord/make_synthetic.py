"""Write a synthetic social-media dataset for the coordination scale benchmark,
as QUT toolkit CSV (message_id,user_id,username,repost_id,reply_id,message,timestamp,urls).

Usage: python3 make_synthetic.py POSTS OUT_CSV [--seed S]

Also writes OUT_CSV.planted.csv (account,group): the planted campaigns.

The model (every figure scales with POSTS, so runs at 1M and 50M posts are
the same population at different sizes):
- accounts: POSTS / 25 (50M posts -> 2M accounts), each post's author drawn
  uniformly;
- half the posts are reposts of one of POSTS / 10 targets, half are original
  posts, 60% of which carry one URL out of POSTS / 20; targets and URLs are
  drawn from a Zipf law over their ranks (exponent 1: the k-th most popular
  object gets 1/k of the first one's share);
- time: each object appears at a uniform moment of one year (2016), and its
  actions follow at exponentially distributed delays whose mean is
  1 hour x sqrt(number of actions on it): popular objects keep spreading
  longer, so the busiest of them is not shared by a million accounts inside
  one hour. Original posts without a URL are spread uniformly over the year.
- planted campaigns: POSTS / 200,000 groups (at least one) of 20 accounts,
  each making 20 bursts, alternately a repost of a fresh target and a share
  of a fresh URL, every member within 30 s of the burst's start. Their posts
  replace randomly chosen background posts, so the total stays POSTS.
- message ids are 1..POSTS, repost targets 10^12 + rank (not in the data);
  the text of a post is a short unique string; timestamps are whole seconds.

The output is deterministic for a given POSTS and seed.
"""
import argparse
import sys

import numpy as np

YEAR0 = 1451606400  # 2016-01-01T00:00:00Z
YEAR = 366 * 86400


def zipf_ranks(rng, n_draws, n_objects):
    """Ranks 0..n_objects-1 drawn with P(rank k) proportional to 1/(k+1)."""
    cdf = np.cumsum(1.0 / np.arange(1, n_objects + 1))
    cdf /= cdf[-1]
    r = np.searchsorted(cdf, rng.random(n_draws), side="right")
    return np.minimum(r, n_objects - 1)


def object_times(rng, obj, n_objects):
    """Birth of each object plus a delay that grows with its popularity."""
    counts = np.bincount(obj, minlength=n_objects)
    birth = rng.integers(0, YEAR, n_objects)
    mean = 3600.0 * np.sqrt(np.maximum(counts, 1))
    delay = rng.exponential(1.0, len(obj)) * mean[obj]
    return birth[obj] + delay.astype(np.int64)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("posts", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=2016)
    a = ap.parse_args()
    n = a.posts
    rng = np.random.default_rng(a.seed)
    n_acct, n_targets, n_urls = max(n // 25, 2), max(n // 10, 1), max(n // 20, 1)

    author = rng.integers(0, n_acct, n)
    is_rt = rng.random(n) < 0.5
    has_url = (~is_rt) & (rng.random(n) < 0.6)
    t = rng.integers(0, YEAR, n)
    rt = np.flatnonzero(is_rt)
    target = zipf_ranks(rng, len(rt), n_targets)
    t[rt] = object_times(rng, target, n_targets)
    ul = np.flatnonzero(has_url)
    url = zipf_ranks(rng, len(ul), n_urls)
    t[ul] = object_times(rng, url, n_urls)
    t += YEAR0
    target_of = np.full(n, -1, dtype=np.int64)
    target_of[rt] = target
    url_of = np.full(n, -1, dtype=np.int64)
    url_of[ul] = url

    groups, size, bursts = max(1, n // 200_000), 20, 20
    members = rng.choice(n_acct, groups * size, replace=False).reshape(groups, size)
    slots = rng.choice(n, groups * size * bursts, replace=False).reshape(groups, bursts, size)
    for g in range(groups):
        for b in range(bursts):
            at = slots[g, b]
            author[at] = members[g]
            t[at] = YEAR0 + rng.integers(0, YEAR) + rng.integers(0, 31, size)
            obj = n_targets + n_urls + g * bursts + b  # beyond every background object
            target_of[at] = obj if b % 2 == 0 else -1
            url_of[at] = -1 if b % 2 == 0 else obj
    with open(a.out + ".planted.csv", "w", encoding="utf-8") as f:
        f.write("account,group\n")
        for g in range(groups):
            f.write("".join(f"{u},{g}\n" for u in sorted(members[g].tolist())))

    chunk = 1_000_000
    with open(a.out, "w", encoding="utf-8", newline="") as f:
        f.write("message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n")
        for s in range(0, n, chunk):
            e = min(n, s + chunk)
            rows = []
            for i, u, tt, tg, ur in zip(
                range(s, e),
                author[s:e].tolist(),
                t[s:e].tolist(),
                target_of[s:e].tolist(),
                url_of[s:e].tolist(),
            ):
                rep = str(1_000_000_000_000 + tg) if tg >= 0 else ""
                link = f"https://example.org/{ur}" if ur >= 0 else ""
                rows.append(f"{i + 1},{u},user{u},{rep},,post {i},{tt},{link}\n")
            f.write("".join(rows))
            print(f"{e:,} posts", file=sys.stderr, end="\r")
    print(f"{n:,} posts, {n_acct:,} accounts, {n_targets:,} repost targets, {n_urls:,} URLs, "
          f"{groups} planted groups -> {a.out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
