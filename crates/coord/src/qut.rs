//! Compatibility with the QUT Coordination Network Toolkit
//! (`coordination-network-toolkit` 1.5.2 on PyPI).
//!
//! The toolkit's semantics, as its source has them and `Compat::Qut`
//! reproduces them:
//! - Its input is a CSV (`message_id,user_id,username,repost_id,reply_id,
//!   message,timestamp,urls`); a repeated `message_id` keeps the first row
//!   (`insert or ignore`), but the repeat's URLs still enter its URL table.
//! - Two messages match when `|Δt| ≤ window` (SQL `between`, boundary
//!   included). The weight of the directed edge user_1→user_2 is the number
//!   of distinct messages of user_1 with a match by user_2; edges lighter
//!   than the minimum weight (2 on its command line) and self-loops are
//!   dropped.
//! - co_retweet: same `repost_id`. co_tweet: messages without `repost_id`
//!   whose text, lower-cased, without each `@` and the non-space text after
//!   it, whitespace collapsed, is equal (empty texts match each other).
//!   co_similar_tweet: messages without `repost_id` whose token sets (see
//!   [`crate::text::qut_tokens`]) have Jaccard similarity ≥ the threshold
//!   (0.8 on its command line). co_link: URLs of messages without
//!   `repost_id`, split on single spaces, so an empty `urls` field is the URL
//!   `''` and links every message without a URL.
//!
//! [`write_input_csv`] writes a case's posts as the toolkit's input, so the
//! same posts can be given to both tools; [`write_edges_csv`] writes edges
//! byte for byte as the toolkit's `--output_format csv` does.

use std::io::Write;

use leaktrace_model::PostKind;

use crate::table::PostTable;
use crate::{CoordResult, Result};

/// A post as a row of the toolkit's input CSV.
pub fn input_row(t: &PostTable, row: usize) -> [String; 8] {
    let target = t.target(row).map(|x| x.to_string()).unwrap_or_default();
    let (repost, reply) = match t.kind[row] {
        PostKind::Repost => (target, String::new()),
        PostKind::Reply => (String::new(), target),
        _ => (String::new(), String::new()),
    };
    let acct = t.account[row] as usize;
    let urls = t
        .urls
        .as_ref()
        .map(|c| c.of(row).iter().map(|&u| c.dict.name(u as usize)).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    [
        t.id[row].to_string(),
        t.accounts.name(acct).to_string(),
        t.account_names[acct].clone().unwrap_or_default(),
        repost,
        reply,
        t.text(row).to_string(),
        epoch_seconds(t.time_ms[row]),
        urls,
    ]
}

/// Milliseconds as epoch seconds, with a fraction only when there is one.
pub fn epoch_seconds(ms: i64) -> String {
    let (s, f) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    if f == 0 { s.to_string() } else { format!("{s}.{f:03}").trim_end_matches('0').to_string() }
}

/// Write every post of the table (text and URLs loaded) as the toolkit's
/// input CSV. Returns the number of rows.
pub fn write_input_csv(t: &PostTable, out: impl Write) -> Result<u64> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls"])?;
    for row in 0..t.len() {
        w.write_record(input_row(t, row))?;
    }
    w.flush().map_err(csv::Error::from)?;
    Ok(t.len() as u64)
}

/// Write the edges of every network as the toolkit's edge CSV: every field
/// quoted, CRLF line ends, `source,target,weight,edge_type`.
pub fn write_edges_csv(r: &CoordResult, out: impl Write) -> Result<()> {
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    w.write_record(["source", "target", "weight", "edge_type"])?;
    for n in &r.networks {
        let kind = n.network.qut_name().unwrap_or(n.network.name());
        for e in &n.edges {
            w.write_record([r.account(e.source), r.account(e.target), &e.weight.to_string(), kind])?;
        }
    }
    w.flush().map_err(csv::Error::from)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds() {
        assert_eq!(epoch_seconds(1_500_000_120_000), "1500000120");
        assert_eq!(epoch_seconds(1_500_000_120_500), "1500000120.5");
        assert_eq!(epoch_seconds(1_500_000_120_025), "1500000120.025");
    }
}
