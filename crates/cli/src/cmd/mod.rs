//! One module per subcommand.

pub mod case;
pub mod clusters;
pub mod coord;
pub mod demo;
pub mod export;
pub mod first;
pub mod flags;
pub mod info;
pub mod ingest;
pub mod ingest_article;
pub mod ingest_mail;
pub mod keys;
pub mod leadlag;
pub mod report;
pub mod search;
pub mod serve;
pub mod timeline;
pub mod verify;

/// Present a timeline analysis as asked: JSON (with the stored run's id),
/// CSV, or text followed by where the run was stored.
pub fn present<T: serde::Serialize>(
    case: &leaktrace_store::Case,
    result: &T,
    run: Option<&leaktrace_store::RunRow>,
    json: bool,
    csv: Option<&str>,
    text: impl FnOnce(),
) -> anyhow::Result<()> {
    if json {
        let mut v = serde_json::to_value(result)?;
        v["run"] = serde_json::json!(run.map(|r| r.id));
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else if let Some(csv) = csv {
        print!("{csv}");
    } else {
        text();
        if let Some(r) = run {
            println!("\nStored as run #{} in {}", r.id, case.root().join(&r.output).display());
        }
    }
    Ok(())
}

/// Said when an analysis reads every post because the search index does
/// not cover the case (it would read only the posts it needs).
pub fn slow_read_note(case: &leaktrace_store::Case) {
    eprintln!(
        "leaktrace: the search index does not cover every source of this case, so every post is read; \
         `leaktrace search {}` brings it up to date (`--reindex` if it was built by another version)",
        case.root().display()
    );
}
