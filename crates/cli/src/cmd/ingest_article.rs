//! Articles (news pieces, blog posts) as sources: `leaktrace ingest DIR article.html`.

use std::path::Path;

use anyhow::{Context, Result};
use leaktrace_ingest::Format;
use leaktrace_ingest::article::parse_article;
use leaktrace_store::{Case, NewItem, SourceMeta, WriteLock};

/// Article files are recognised by name: `.html`, `.htm`, `.xhtml`, `.txt`
/// (unless a social format was named with --format).
pub fn is_article(file: &Path, format: Option<Format>) -> bool {
    format.is_none()
        && file
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "html" | "htm" | "xhtml" | "txt"))
}

/// Store an article file and record it as a source of kind `article`
/// with one item holding its title, outlet, date and text.
pub fn ingest_article(case: &Case, lock: &WriteLock, file: &Path) -> Result<()> {
    let display = file.display().to_string();
    let stored = case.store_evidence(lock, file)?;
    if let Some(existing) = case.source_by_sha(&stored.sha256_hex)? {
        println!(
            "{display}: already in the case as source #{} ({}, sha256 {}); nothing added",
            existing.id,
            existing.path,
            &stored.sha256_hex[..16]
        );
        return Ok(());
    }
    // Parse the stored copy: the bytes read are the bytes hashed.
    let bytes =
        std::fs::read(&stored.path).with_context(|| format!("{}: cannot read stored copy", stored.path.display()))?;
    let article = parse_article(&bytes, &display)?;
    let meta = SourceMeta {
        path: display.clone(),
        sha256_hex: stored.sha256_hex.clone(),
        size: stored.size,
        kind: "article".into(),
        format: format!("article-{}", article.format),
        compression: "none".into(),
    };
    let item = NewItem {
        kind: "article".into(),
        sha256: stored.sha256_hex.clone(),
        offset: Some(0),
        meta: serde_json::to_value(&article)?,
    };
    let (id, _) = case.add_item_source(lock, meta, &[item])?;
    println!(
        "{display}: added source #{id} (article, {}, sha256 {}): {:?}{}{}, {} characters of text",
        article.format,
        &stored.sha256_hex[..16],
        article.title.as_deref().unwrap_or("(no title)"),
        article.outlet.as_deref().map(|o| format!(", {o}")).unwrap_or_default(),
        article
            .published
            .as_ref()
            .map(|p| format!(", published {}", p.date))
            .unwrap_or_else(|| ", no date stated".into()),
        article.body.chars().count()
    );
    Ok(())
}
