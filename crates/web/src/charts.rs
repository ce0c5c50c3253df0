//! SVG charts: activity over time, a cascade's cumulative count, a delay
//! distribution. Written here rather than with a plotting crate because
//! the pages need only these three shapes, as inline SVG that maud escapes
//! and that works in the JavaScript-free report.

use maud::{Markup, html};

use crate::layout::{duration, time};

const W: f64 = 900.0;
const H: f64 = 220.0;
const PAD_L: f64 = 48.0;
const PAD_R: f64 = 12.0;
const PAD_T: f64 = 12.0;
const PAD_B: f64 = 36.0;

/// A bin width that gives at most ~120 bars: minutes to weeks.
fn bin_ms(span_ms: i64) -> i64 {
    const STEPS: [i64; 10] = [
        60_000,
        300_000,
        900_000,
        3_600_000,
        3 * 3_600_000,
        6 * 3_600_000,
        86_400_000,
        7 * 86_400_000,
        30 * 86_400_000,
        365 * 86_400_000,
    ];
    STEPS.iter().copied().find(|s| span_ms / s <= 120).unwrap_or(365 * 86_400_000)
}

fn bin_label(ms: i64) -> String {
    match ms {
        60_000 => "minute".into(),
        3_600_000 => "hour".into(),
        86_400_000 => "day".into(),
        _ => duration(ms),
    }
}

/// Markers drawn over a time chart (declared events, a leader's post).
pub struct Mark<'a> {
    pub ms: i64,
    pub label: &'a str,
}

fn x_of(ms: i64, lo: i64, hi: i64) -> f64 {
    PAD_L + (ms - lo) as f64 / ((hi - lo).max(1)) as f64 * (W - PAD_L - PAD_R)
}

/// A tick label: the full time at the ends, the clock alone in between
/// when the axis spans less than two days (the date is then at the ends).
fn tick_label(ms: i64, end: bool, span_ms: i64) -> String {
    let full = time(ms);
    match full.get(11..16) {
        Some(clock) if !end && span_ms < 2 * 86_400_000 => clock.to_string(),
        _ => full,
    }
}

fn time_axis(lo: i64, hi: i64) -> Markup {
    let ticks = 4;
    html! {
        line.grid x1=(PAD_L) y1=(H - PAD_B) x2=(W - PAD_R) y2=(H - PAD_B) {}
        @for i in 0..=ticks {
            @let ms = lo + (hi - lo) * i / ticks;
            @let x = x_of(ms, lo, hi);
            line.grid x1=(x) y1=(H - PAD_B) x2=(x) y2=(H - PAD_B + 4.0) {}
            text.axis x=(x) y=(H - PAD_B + 16.0) text-anchor=(if i == 0 { "start" } else if i == ticks { "end" } else { "middle" }) {
                (tick_label(ms, i == 0 || i == ticks, hi - lo))
            }
        }
    }
}

fn marks(m: &[Mark<'_>], lo: i64, hi: i64) -> Markup {
    html! {
        @for mk in m.iter().filter(|mk| mk.ms >= lo && mk.ms <= hi) {
            @let x = x_of(mk.ms, lo, hi);
            g {
                title { (mk.label) " — " (time(mk.ms)) }
                line.event x1=(x) y1=(PAD_T) x2=(x) y2=(H - PAD_B) {}
                circle.dot cx=(x) cy=(PAD_T) r="4" {}
            }
        }
    }
}

/// Counts per time bin: what the activity chart draws.
pub struct Histogram {
    /// Start of the first bin (UTC ms).
    pub lo: i64,
    /// Bin width (ms).
    pub bin: i64,
    pub counts: Vec<u64>,
}

impl Histogram {
    /// Bins sized for the span of `times` (need not be sorted); `None` when
    /// there are none.
    pub fn of(times: impl Iterator<Item = i64> + Clone) -> Option<Histogram> {
        let (lo0, hi0) = times.clone().fold(None, |acc: Option<(i64, i64)>, t| match acc {
            None => Some((t, t)),
            Some((lo, hi)) => Some((lo.min(t), hi.max(t))),
        })?;
        let bin = bin_ms(hi0 - lo0);
        let lo = lo0.div_euclid(bin) * bin;
        let mut counts = vec![0u64; ((hi0 - lo) / bin + 1) as usize];
        for t in times {
            counts[((t - lo) / bin) as usize] += 1;
        }
        Some(Histogram { lo, bin, counts })
    }
}

/// Number of events per time bin, as bars. `times` need not be sorted.
pub fn activity(times: &[i64], m: &[Mark<'_>], caption: &str) -> Markup {
    activity_of(Histogram::of(times.iter().copied()).as_ref(), m, caption)
}

/// The activity chart of counts already binned (a large case bins its
/// posts once, not on every request).
pub fn activity_of(h: Option<&Histogram>, m: &[Mark<'_>], caption: &str) -> Markup {
    let Some(Histogram { lo, bin, counts }) = h else {
        return html! { p.muted { "No activity to chart." } };
    };
    let (lo, bin, n) = (*lo, *bin, counts.len());
    let hi = lo + n as i64 * bin;
    let max = *counts.iter().max().expect("non-empty") as f64;
    let bw = (W - PAD_L - PAD_R) / n as f64;
    let y = |c: f64| H - PAD_B - c / max * (H - PAD_T - PAD_B);
    html! {
        figure {
            svg.chart viewBox={ "0 0 " (W) " " (H) } role="img" aria-label=(caption) {
                text.axis x=(PAD_L - 6.0) y=(PAD_T + 8.0) text-anchor="end" { (max) }
                text.axis x=(PAD_L - 6.0) y=(H - PAD_B) text-anchor="end" { "0" }
                @for (i, &c) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
                    rect.bar x=(PAD_L + i as f64 * bw) y=(y(c as f64)) width=((bw - 0.5).max(0.5)) height=(H - PAD_B - y(c as f64)) {
                        title { (time(lo + i as i64 * bin)) ": " (c) }
                    }
                }
                (time_axis(lo, hi))
                (marks(m, lo, hi))
            }
            figcaption.muted { (caption) " (per " (bin_label(bin)) ", UTC)" }
        }
    }
}

/// A step line of the cumulative count at each time (sorted by time).
pub fn cumulative(points: &[(i64, u64)], m: &[Mark<'_>], caption: &str) -> Markup {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return html! { p.muted { "Nothing to chart." } };
    };
    let (lo, hi) = (first.0, last.0.max(first.0 + 60_000));
    let max = points.iter().map(|p| p.1).max().unwrap_or(1).max(1) as f64;
    let y = |c: u64| H - PAD_B - c as f64 / max * (H - PAD_T - PAD_B);
    let mut d = format!("M{:.1},{:.1}", x_of(lo, lo, hi), y(0));
    for &(t, c) in points {
        d.push_str(&format!(" H{:.1} V{:.1}", x_of(t, lo, hi), y(c)));
    }
    d.push_str(&format!(" H{:.1}", x_of(hi, lo, hi)));
    html! {
        figure {
            svg.chart viewBox={ "0 0 " (W) " " (H) } role="img" aria-label=(caption) {
                text.axis x=(PAD_L - 6.0) y=(PAD_T + 8.0) text-anchor="end" { (max) }
                text.axis x=(PAD_L - 6.0) y=(H - PAD_B) text-anchor="end" { "0" }
                path.line d=(d) {}
                (time_axis(lo, hi))
                (marks(m, lo, hi))
            }
            figcaption.muted { (caption) }
        }
    }
}

/// Delays (ms, ≥ 0) as a histogram on a log-like scale of fixed buckets.
pub fn delays(delays_ms: &[i64], caption: &str) -> Markup {
    const EDGES: [(i64, &str); 9] = [
        (60_000, "≤1 min"),
        (5 * 60_000, "≤5 min"),
        (15 * 60_000, "≤15 min"),
        (3_600_000, "≤1 h"),
        (6 * 3_600_000, "≤6 h"),
        (86_400_000, "≤1 day"),
        (7 * 86_400_000, "≤1 week"),
        (30 * 86_400_000, "≤30 days"),
        (i64::MAX, "longer"),
    ];
    if delays_ms.is_empty() {
        return html! { p.muted { "No delays to chart." } };
    }
    let mut counts = [0u64; 9];
    for &d in delays_ms {
        let i = EDGES.iter().position(|(e, _)| d <= *e).unwrap_or(8);
        counts[i] += 1;
    }
    let max = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let bw = (W - PAD_L - PAD_R) / counts.len() as f64;
    let y = |c: u64| H - PAD_B - c as f64 / max * (H - PAD_T - PAD_B);
    html! {
        figure {
            svg.chart viewBox={ "0 0 " (W) " " (H) } role="img" aria-label=(caption) {
                @for (i, c) in counts.iter().enumerate() {
                    @let x = PAD_L + i as f64 * bw;
                    rect.bar x=(x + 2.0) y=(y(*c)) width=(bw - 4.0) height=(H - PAD_B - y(*c)) { title { (EDGES[i].1) ": " (c) } }
                    text.axis x=(x + bw / 2.0) y=(y(*c) - 3.0) text-anchor="middle" { (c) }
                    text.axis x=(x + bw / 2.0) y=(H - PAD_B + 16.0) text-anchor="middle" { (EDGES[i].1) }
                }
                line.grid x1=(PAD_L) y1=(H - PAD_B) x2=(W - PAD_R) y2=(H - PAD_B) {}
            }
            figcaption.muted { (caption) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_fit_the_span() {
        assert_eq!(bin_ms(60 * 60_000), 60_000);
        assert_eq!(bin_ms(2 * 86_400_000), 3_600_000);
        assert_eq!(bin_ms(60 * 86_400_000), 86_400_000);
    }

    #[test]
    fn activity_counts_every_event_once() {
        let t0 = 1_475_762_400_000i64;
        let times = [t0, t0 + 1, t0 + 3_600_000, t0 + 7_200_000];
        let svg = activity(&times, &[], "posts").into_string();
        // Hourly bins over two hours: bars of 2, 1 and 1.
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains(": 2</title>"));
    }

    #[test]
    fn labels_are_escaped() {
        let svg = activity(&[0, 1], &[Mark { ms: 0, label: "<script>x</script>" }], "c").into_string();
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
    }
}
