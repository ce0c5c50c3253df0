//! The date resolver and the events parser on many generated inputs made
//! of the pieces they look for: no panic, offsets always at the expression.
//! (The fuzz targets `dates` and `declared_events` go further.)

use chrono::NaiveDate;
use leaktrace_timeline::dates::extract;
use leaktrace_timeline::declared::parse_events;
use leaktrace_timeline::rng::SplitMix64;

const PIECES: &[&str] = &[
    "On",
    "October",
    "Oct.",
    "7th",
    "7",
    "22",
    "31",
    "2016",
    "2017",
    ",",
    ".",
    " ",
    "\n",
    "\n\n",
    "@",
    "[",
    "]",
    "12:15pm",
    "4:03",
    "p.m.",
    "a",
    "ET",
    "PT",
    "UTC",
    "(ET)",
    "15",
    "minutes",
    "two",
    "days",
    "later",
    "before",
    "after",
    "the",
    "vote",
    "next",
    "day",
    "yesterday",
    "ago",
    "Monday",
    "Friday,",
    "in",
    "election",
    "2016-10-07",
    "10/7/2016",
    "—",
    "é",
    "8,000",
    "Jul",
    "May",
    "of",
    "noon",
    "that",
    "prior",
    "to",
    "weeks",
    "\"",
    "UPDATE",
    "Mr.",
    "Jr.",
    "—",
    "…",
    "#tag",
    "https://x.org/a",
    "2016-11-06 01:30",
    "16:32",
    "-04:00",
    "+25",
    "Z",
    "\u{feff}",
    "time,kind,label",
];

fn text(rng: &mut SplitMix64, n: usize) -> String {
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(PIECES[rng.below(PIECES.len() as u64) as usize]);
        if rng.below(3) > 0 {
            s.push(' ');
        }
    }
    s
}

#[test]
fn generated_prose_never_panics_and_offsets_hold() {
    let mut rng = SplitMix64::new(42);
    let date = NaiveDate::from_ymd_opt(2017, 11, 14);
    for i in 0..3000 {
        let t = text(&mut rng, 1 + (i % 60));
        for c in extract(&t, if i % 2 == 0 { date } else { None }) {
            assert!(t[c.offset..].starts_with(&c.expression), "{t:?}: {c:?}");
            assert!(c.when.is_some() || !c.basis.is_empty());
        }
    }
}

#[test]
fn generated_event_files_never_panic() {
    let mut rng = SplitMix64::new(7);
    for i in 0..3000 {
        let t = text(&mut rng, 1 + (i % 40)).replace(' ', if i % 3 == 0 { "," } else { " " });
        if let Ok(evs) = parse_events(&t, "gen.csv") {
            assert!(evs.iter().all(|e| e.line >= 1));
        }
    }
}
