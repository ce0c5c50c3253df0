//! Social-media formats: detection from headers and one parser per format.

pub mod archive;
pub mod bluesky;
pub mod generic;
pub mod ira;
mod jsonhead;
mod jsonl;
pub mod metacl;
pub mod qut;
pub mod telegram;
pub mod tiktok;
pub mod twitter;

use std::io::Read;

use crate::{EventStream, Format, IngestError, ParseOptions, SourceContext};

/// Lower-cased, unquoted column names of a CSV header line.
fn header_columns(line: &str) -> Vec<String> {
    line.trim_start_matches('\u{feff}')
        .trim_end_matches(['\r', '\n'])
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect()
}

pub(crate) fn detect(head: &[u8]) -> Option<Format> {
    let text = String::from_utf8_lossy(head);
    let first = text.lines().find(|l| !l.trim().is_empty())?;
    let first = first.trim_start_matches('\u{feff}').trim_start();
    if first.starts_with('{') {
        // A whole document (a Telegram export, pretty-printed or not) before
        // a line of JSON lines: its first line may be all of the head.
        let doc = text.trim_start_matches('\u{feff}').trim_start().as_bytes();
        if telegram::detect_head(doc) {
            return Some(Format::Telegram);
        }
        // A TikTok page's `data` is an object, like a v2 single-tweet lookup's.
        if tiktok::detect_line(first.as_bytes()) {
            return Some(Format::TikTok);
        }
        if bluesky::detect_line(first.as_bytes()) {
            return Some(Format::Bluesky);
        }
        return twitter::detect_json_line(first);
    }
    let cols = header_columns(first);
    let has = |c: &str| cols.iter().any(|x| x == c);
    if metacl::detect_header(&cols) {
        Some(Format::MetaCl)
    } else if cols == qut::COLUMNS {
        Some(Format::Qut)
    } else if has("external_author_id") && has("author") && has("content") && has("publish_date") && has("post_type") {
        Some(Format::Ira538)
    } else if cols.first().map(String::as_str) == Some("author_id")
        && has("content")
        && has("publish_date")
        && has("post_type")
    {
        Some(Format::IraByAuthor)
    } else if has("tweetid") && has("userid") && has("tweet_text") && has("tweet_time") {
        Some(Format::PlatformArchive)
    } else {
        None
    }
}

pub(crate) fn open(
    format: Format,
    input: Box<dyn Read + Send>,
    ctx: &SourceContext,
    opts: &ParseOptions,
) -> Result<EventStream, IngestError> {
    match format {
        Format::Ira538 | Format::IraByAuthor => ira::open(format, input, ctx),
        Format::PlatformArchive => archive::open(input, ctx),
        Format::TwitterV1 | Format::TwitterV2 => twitter::open(format, input, ctx),
        Format::Qut => qut::open(input, ctx),
        Format::Telegram => telegram::open(input, ctx),
        Format::Bluesky => bluesky::open(input, ctx),
        Format::MetaCl => metacl::open(input, ctx),
        Format::TikTok => tiktok::open(input, ctx),
        Format::Csv => {
            let map = opts.map.clone().ok_or_else(|| {
                IngestError::Usage(
                    "--format csv needs a column mapping: --map author=COL,time=COL,text=COL[,...]".into(),
                )
            })?;
            generic::open(input, ctx, map)
        }
    }
}

/// The posts among parser output (for tests).
#[cfg(test)]
pub(crate) fn posts(ev: &[crate::Event]) -> Vec<&leaktrace_model::Post> {
    ev.iter().filter_map(|e| if let crate::Event::Post(p) = e { Some(p) } else { None }).collect()
}

/// The rejects among parser output (for tests).
#[cfg(test)]
pub(crate) fn rejects(ev: &[crate::Event]) -> Vec<&crate::Reject> {
    ev.iter().filter_map(|e| if let crate::Event::Reject(r) = e { Some(r) } else { None }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_from_headers() {
        let cases: [(&str, Option<Format>); 7] = [
            (
                "author_id,content,region,language,publish_date,harvested_date,following,followers,updates,post_type,retweet\n",
                Some(Format::IraByAuthor),
            ),
            (
                "external_author_id,author,content,region,language,publish_date,harvested_date,following,followers,updates,post_type,account_type,retweet,account_category,new_june_2018,alt_external_id,tweet_id,article_url,tco1_step1,tco2_step1,tco3_step1\n",
                Some(Format::Ira538),
            ),
            (
                "\u{feff}tweetid,userid,user_display_name,user_screen_name,tweet_text,tweet_time,is_retweet\n",
                Some(Format::PlatformArchive),
            ),
            ("message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n", Some(Format::Qut)),
            (
                "{\"data\":[{\"id\":\"1\",\"text\":\"x\",\"author_id\":\"2\"}],\"includes\":{}}\n",
                Some(Format::TwitterV2),
            ),
            (
                "{\"id_str\":\"1\",\"created_at\":\"Wed Oct 10 20:19:24 +0000 2018\",\"user\":{\"id_str\":\"2\"}}\n",
                Some(Format::TwitterV1),
            ),
            ("id,user,created_at,body\n", None),
        ];
        for (head, want) in cases {
            assert_eq!(detect(head.as_bytes()), want, "{head}");
        }
    }
}
