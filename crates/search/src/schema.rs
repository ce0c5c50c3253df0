//! The fields of the index: one schema for every kind of document, so one
//! query can span posts, articles and emails.

use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing,
    TextOptions,
};
use tantivy::tokenizer::{LowerCaser, RawTokenizer, TextAnalyzer};

/// Bumped when the schema or what goes into it changes; an index of
/// another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 3;

/// Exact keyword values, compared lower-cased.
pub const KEYWORD_TOKENIZER: &str = "keyword";

/// Every field, with what a query on it means.
pub const FIELDS: &[(&str, &str)] = &[
    ("text", "post text, article body, email body (default)"),
    ("title", "article title (default)"),
    ("subject", "email subject (default)"),
    ("attachment", "text of email attachments (default)"),
    ("kind", "post, article or email"),
    ("type", "post kind: post, repost, quote, reply"),
    ("account", "account key or handle"),
    ("label", "account label, VALUE or KEY=VALUE (account_category=RightTroll)"),
    ("hashtag", "hashtag, without #"),
    ("mention", "mentioned account"),
    ("url", "normalised URL (quote it)"),
    ("domain", "link domain (posts, articles)"),
    ("language", "language as the source gives it"),
    ("outlet", "article outlet"),
    ("from", "email sender: a whole address, or any word of the name or address (from:podesta)"),
    ("to", "email recipient: a whole address, or any word of the name or address"),
    ("cc", "email copy recipient: a whole address, or any word of the name or address"),
    ("sender_domain", "email sender's domain"),
    ("dkim", "DKIM verdict: verified, weak, unverified, unsigned"),
    ("source", "case source id"),
    ("file", "source file name"),
    ("id", "post or item id"),
    ("target", "post id a post reposts, quotes or replies to"),
    ("time", "UTC time, as a range: time:[2016-10-07T00:00:00Z TO 2016-10-08T00:00:00Z]"),
];

/// Fields searched when a query term names none.
pub const DEFAULT_FIELDS: &[&str] = &["text", "title", "subject", "attachment"];

/// Keyword fields counted by `--facets`.
pub const FACET_FIELDS: &[&str] =
    &["kind", "type", "account_key", "hashtag", "domain", "language", "outlet", "sender_domain", "file"];

#[derive(Clone, Debug)]
pub struct Fields {
    pub kind: Field,
    pub id: Field,
    pub source: Field,
    pub file: Field,
    pub time: Field,
    pub text: Field,
    pub title: Field,
    pub subject: Field,
    pub attachment: Field,
    pub account: Field,
    pub account_key: Field,
    pub post_type: Field,
    pub hashtag: Field,
    pub mention: Field,
    pub url: Field,
    pub domain: Field,
    pub language: Field,
    pub outlet: Field,
    pub from: Field,
    pub to: Field,
    pub cc: Field,
    pub sender_domain: Field,
    pub dkim: Field,
    /// A post's target post (repost, quote, reply).
    pub target: Field,
    /// A post's row in its source's posts table (0-based): analyses read
    /// the rows a query finds instead of the whole table.
    pub row: Field,
}

fn keyword(stored: bool, fast: bool) -> TextOptions {
    let mut o = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(KEYWORD_TOKENIZER).set_index_option(IndexRecordOption::Basic),
    );
    if stored {
        o = o.set_stored();
    }
    if fast {
        o = o.set_fast(KEYWORD_TOKENIZER);
    }
    o
}

fn full_text() -> TextOptions {
    TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("default")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored()
}

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        kind: b.add_text_field("kind", keyword(true, true)),
        id: b.add_i64_field("id", INDEXED | STORED | FAST),
        source: b.add_i64_field("source", INDEXED | STORED | FAST),
        file: b.add_text_field("file", keyword(false, true)),
        time: b.add_date_field(
            "time",
            DateOptions::from(INDEXED).set_stored().set_fast().set_precision(DateTimePrecision::Seconds),
        ),
        text: b.add_text_field("text", full_text()),
        title: b.add_text_field("title", full_text()),
        subject: b.add_text_field("subject", full_text()),
        attachment: b.add_text_field("attachment", full_text()),
        account: b.add_text_field("account", keyword(true, false)),
        account_key: b.add_text_field("account_key", TextOptions::default().set_fast(KEYWORD_TOKENIZER)),
        post_type: b.add_text_field("type", keyword(false, true)),
        hashtag: b.add_text_field("hashtag", keyword(false, true)),
        mention: b.add_text_field("mention", keyword(false, false)),
        url: b.add_text_field("url", keyword(false, false)),
        domain: b.add_text_field("domain", keyword(false, true)),
        language: b.add_text_field("language", keyword(false, true)),
        outlet: b.add_text_field("outlet", keyword(true, true)),
        from: b.add_text_field("from", keyword(true, false)),
        to: b.add_text_field("to", keyword(false, false)),
        cc: b.add_text_field("cc", keyword(false, false)),
        sender_domain: b.add_text_field("sender_domain", keyword(false, true)),
        dkim: b.add_text_field("dkim", keyword(false, true)),
        target: b.add_i64_field("target", INDEXED),
        row: b.add_u64_field("row", FAST),
    };
    (b.build(), fields)
}

/// Register the tokenizers the schema names (they are not stored in the
/// index, so every open must do this).
pub fn register_tokenizers(index: &tantivy::Index) {
    let keyword = || TextAnalyzer::builder(RawTokenizer::default()).filter(LowerCaser).build();
    index.tokenizers().register(KEYWORD_TOKENIZER, keyword());
    index.fast_field_tokenizer().register(KEYWORD_TOKENIZER, keyword());
}
