//! What goes into the index, per kind of document, and where each kind
//! comes from in the case. This is the seam for new kinds: emails arrive
//! as [`EmailDoc`] values from [`source_documents`] once the mail
//! ingest's `messages` table exists (its `"mail"` arm is the one place to
//! fill); nothing else in the index changes.

use leaktrace_model::{ArticleMeta, Post};
use leaktrace_store::{Case, SourceRow, posts};
use tantivy::{DateTime, TantivyDocument};

use crate::Result;
use crate::schema::Fields;

/// An article, from its catalog item.
#[derive(Clone, Debug, Default)]
pub struct ArticleDoc {
    pub item: i64,
    pub title: Option<String>,
    pub outlet: Option<String>,
    pub published_ms: Option<i64>,
    pub body: String,
    pub url: Option<String>,
}

/// An email, as the mail tables will describe it.
#[derive(Clone, Debug, Default)]
pub struct EmailDoc {
    pub item: i64,
    pub time_ms: Option<i64>,
    /// The address fields as written (names included).
    pub from: String,
    pub to: String,
    pub cc: String,
    pub subject: String,
    pub body: String,
    pub attachment_text: String,
    pub sender_domain: Option<String>,
    /// `verified`, `unverified` or `unsigned`, when known at indexing
    /// (queries read the current verdict from the catalog instead).
    pub dkim: Option<String>,
}

/// One document to index.
pub enum Document {
    /// A post and its row in its source's posts table.
    Post(Post, u64),
    Article(ArticleDoc),
    Email(EmailDoc),
}

fn file_name(path: &str) -> String {
    path.rsplit(['/', '\\']).next().unwrap_or(path).to_lowercase()
}

/// The tantivy document for one of ours.
pub fn to_tantivy(f: &Fields, source: &SourceRow, doc: &Document) -> TantivyDocument {
    let mut d = TantivyDocument::default();
    d.add_i64(f.source, source.id);
    d.add_text(f.file, file_name(&source.path));
    let time = |d: &mut TantivyDocument, ms: i64| d.add_date(f.time, DateTime::from_timestamp_millis(ms));
    match doc {
        Document::Post(p, row) => {
            d.add_text(f.kind, "post");
            d.add_i64(f.id, p.id);
            d.add_u64(f.row, *row);
            if let Some(t) = p.target_post {
                d.add_i64(f.target, t);
            }
            time(&mut d, p.time_ms);
            d.add_text(f.text, &p.text);
            d.add_text(f.account, &p.account);
            d.add_text(f.account_key, &p.account);
            if let Some(n) = &p.account_name
                && !n.eq_ignore_ascii_case(&p.account)
            {
                d.add_text(f.account, n);
            }
            d.add_text(f.post_type, p.kind.as_str());
            for h in &p.hashtags {
                d.add_text(f.hashtag, h);
            }
            for m in &p.mentions {
                d.add_text(f.mention, m);
            }
            for u in &p.urls {
                d.add_text(f.url, u);
            }
            for dom in &p.domains {
                d.add_text(f.domain, dom);
            }
            if let Some(l) = &p.language {
                d.add_text(f.language, l);
            }
        }
        Document::Article(a) => {
            d.add_text(f.kind, "article");
            d.add_i64(f.id, a.item);
            if let Some(ms) = a.published_ms {
                time(&mut d, ms);
            }
            d.add_text(f.text, &a.body);
            if let Some(t) = &a.title {
                d.add_text(f.title, t);
            }
            if let Some(o) = &a.outlet {
                d.add_text(f.outlet, o);
            }
            if let Some(u) = a.url.as_deref().and_then(leaktrace_model::derive::normalize_url) {
                if let Some(dom) = leaktrace_model::derive::domain_of(&u) {
                    d.add_text(f.domain, dom);
                }
                d.add_text(f.url, u);
            }
        }
        Document::Email(e) => {
            d.add_text(f.kind, "email");
            d.add_i64(f.id, e.item);
            if let Some(ms) = e.time_ms {
                time(&mut d, ms);
            }
            // The From field as written first: it is the stored value hits show.
            d.add_text(f.from, &e.from);
            for (field, raw) in [(f.from, &e.from), (f.to, &e.to), (f.cc, &e.cc)] {
                for t in address_terms(raw) {
                    d.add_text(field, t);
                }
            }
            d.add_text(f.subject, &e.subject);
            d.add_text(f.text, &e.body);
            if !e.attachment_text.is_empty() {
                d.add_text(f.attachment, &e.attachment_text);
            }
            if let Some(s) = &e.sender_domain {
                d.add_text(f.sender_domain, s);
            }
            if let Some(v) = &e.dkim {
                d.add_text(f.dkim, v);
            }
        }
    }
    d
}

/// The addresses in an address field (`"A" <a@x.org>, b@y.org`), lower-cased.
pub fn addresses(field: &str) -> Vec<String> {
    field
        .split([',', ';', '<', '>', ' ', '"', '\t', '\n', '\r'])
        .filter(|w| w.contains('@'))
        .map(|w| w.trim_matches(|c: char| !(c.is_alphanumeric() || c == '@')).to_lowercase())
        .filter(|w| w.len() > 2)
        .collect()
}

/// What `from:`, `to:` and `cc:` match in an address field: each whole
/// address, and each word of the names and addresses (`from:podesta` finds
/// "John Podesta <john.podesta@gmail.com>"; so do `from:john.podesta@gmail.com`,
/// `from:gmail.com` and `from:gmail`).
pub fn address_terms(field: &str) -> Vec<String> {
    let mut out = addresses(field);
    let domains: Vec<String> = out.iter().filter_map(|a| a.rsplit_once('@')).map(|(_, d)| d.to_string()).collect();
    out.extend(domains);
    for w in field.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        out.push(w.to_lowercase());
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn article_from_meta(item: i64, meta: &serde_json::Value) -> ArticleDoc {
    // A meta that does not read as an article (a damaged catalog) indexes
    // as an article without text rather than stopping the index.
    let meta: Option<ArticleMeta> = serde_json::from_value(meta.clone()).ok();
    let Some(a) = meta else {
        return ArticleDoc { item, title: None, outlet: None, published_ms: None, body: String::new(), url: None };
    };
    ArticleDoc {
        item,
        published_ms: a.published.as_ref().and_then(|p| p.utc_ms()),
        title: a.title,
        outlet: a.outlet,
        body: a.body,
        url: a.url,
    }
}

/// Call `each` with every document of one source, in source order.
pub fn source_documents(case: &Case, source: &SourceRow, mut each: impl FnMut(Document) -> Result<()>) -> Result<()> {
    match source.kind.as_str() {
        "social" if source.posts > 0 => {
            let file = posts::partition_dir(case.root(), source.id).join(posts::PART_FILE);
            let mut row = 0u64;
            for batch in posts::stream_batches(&file, None)? {
                for p in posts::posts_from_batch(&batch?) {
                    each(Document::Post(p, row))?;
                    row += 1;
                }
            }
        }
        "article" => {
            for it in case.items_of_source(source.id)? {
                if it.kind == "article" {
                    each(Document::Article(article_from_meta(it.id, &it.meta)))?;
                }
            }
        }
        "mail" => {
            // Header fields from the `messages` table; body and attachment
            // text from the item's meta (`text`, `attachment_text`).
            case.each_message_of_source(source.id, |m| {
                let h = m.headers;
                let from = addresses(h.from.as_deref().unwrap_or(""));
                each(Document::Email(EmailDoc {
                    item: m.item_id,
                    time_ms: h.date_ms,
                    sender_domain: from.first().and_then(|a| a.rsplit_once('@')).map(|(_, d)| d.to_string()),
                    from: h.from.unwrap_or_default(),
                    to: h.to.unwrap_or_default(),
                    cc: h.cc.unwrap_or_default(),
                    subject: h.subject.unwrap_or_default(),
                    body: m.meta.text.unwrap_or_default(),
                    attachment_text: m.meta.attachment_text.unwrap_or_default(),
                    dkim: None,
                }))
            })?;
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_terms_are_whole_addresses_and_words() {
        let t = address_terms("\"John Podesta\" <John.Podesta@Gmail.com>, eryn@example.org");
        for want in
            ["john.podesta@gmail.com", "eryn@example.org", "gmail.com", "john", "podesta", "gmail", "eryn", "com"]
        {
            assert!(t.contains(&want.to_string()), "{want} missing from {t:?}");
        }
        // Not a substring search: no term is a fragment of a word.
        assert!(!t.iter().any(|x| x == "pod" || x == "john podesta"), "{t:?}");
        assert!(address_terms("").is_empty());
    }
}
