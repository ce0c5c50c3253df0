//! Items: the units inside a source that are not posts — articles now,
//! emails and attachments later. A source of items is added in one
//! transaction (the source row, complete, and all its items), so it is in
//! the case whole or not at all, like a source of posts.

use rusqlite::params;
use serde::Serialize;

use crate::case::Case;
use crate::catalog::{self, SourceMeta, SourceState};
use crate::error::Result;
use crate::lock::WriteLock;

/// One item as recorded.
#[derive(Clone, Debug, Serialize)]
pub struct ItemRow {
    pub id: i64,
    pub source_id: i64,
    /// `article`, `email`, `attachment`.
    pub kind: String,
    /// SHA-256 of the item's original bytes (for a whole-file item, the
    /// source's).
    pub sha256: String,
    /// Where the item starts in its source, in bytes.
    pub offset: Option<i64>,
    /// What was extracted from it (see ARCHITECTURE.md for each kind's keys).
    pub meta: serde_json::Value,
}

/// An item to add.
#[derive(Clone, Debug)]
pub struct NewItem {
    pub kind: String,
    pub sha256: String,
    pub offset: Option<i64>,
    pub meta: serde_json::Value,
}

fn item_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRow> {
    let meta: Option<String> = r.get(5)?;
    Ok(ItemRow {
        id: r.get(0)?,
        source_id: r.get(1)?,
        kind: r.get(2)?,
        sha256: r.get(3)?,
        offset: r.get(4)?,
        meta: meta.and_then(|m| serde_json::from_str(&m).ok()).unwrap_or(serde_json::Value::Null),
    })
}

impl Case {
    /// Add a source made of items (an article file, later a mailbox), in
    /// one transaction. Returns the source id and the item ids, in order.
    pub fn add_item_source(&self, _lock: &WriteLock, meta: SourceMeta, items: &[NewItem]) -> Result<(i64, Vec<i64>)> {
        let mut conn = catalog::connect(self.root())?;
        let tx = conn.transaction()?;
        let source = catalog::insert_source(&tx, &meta, SourceState::Complete, items.len() as i64, 0)?;
        let mut ids = Vec::with_capacity(items.len());
        {
            let mut ins =
                tx.prepare("INSERT INTO items(source_id, kind, sha256, offset, meta) VALUES (?1, ?2, ?3, ?4, ?5)")?;
            for it in items {
                ins.execute(params![source, it.kind, it.sha256, it.offset, it.meta.to_string()])?;
                ids.push(tx.last_insert_rowid());
            }
        }
        tx.commit()?;
        Ok((source, ids))
    }

    /// Items of complete sources, optionally of one kind, in id order.
    pub fn items(&self, kind: Option<&str>) -> Result<Vec<ItemRow>> {
        let conn = catalog::connect(self.root())?;
        let mut st = conn.prepare(
            "SELECT i.id, i.source_id, i.kind, i.sha256, i.offset, i.meta FROM items i
             JOIN sources s ON s.id = i.source_id AND s.state = 'complete'
             WHERE ?1 IS NULL OR i.kind = ?1 ORDER BY i.id",
        )?;
        let rows = st.query_map([kind], item_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The items of one source, in id order.
    pub fn items_of_source(&self, source_id: i64) -> Result<Vec<ItemRow>> {
        let conn = catalog::connect(self.root())?;
        let mut st = conn
            .prepare("SELECT id, source_id, kind, sha256, offset, meta FROM items WHERE source_id = ?1 ORDER BY id")?;
        let rows = st.query_map([source_id], item_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_source_is_added_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let case = Case::init(&tmp.path().join("c")).unwrap();
        let lock = case.lock_for_write(false, |_| {}).unwrap();
        let meta = SourceMeta {
            path: "a.html".into(),
            sha256_hex: "ab".repeat(32),
            size: 10,
            kind: "article".into(),
            format: "article-html".into(),
            compression: "none".into(),
        };
        let item = NewItem {
            kind: "article".into(),
            sha256: "ab".repeat(32),
            offset: Some(0),
            meta: serde_json::json!({"title": "T"}),
        };
        let (src, ids) = case.add_item_source(&lock, meta, std::slice::from_ref(&item)).unwrap();
        assert_eq!(ids.len(), 1);
        let all = case.items(Some("article")).unwrap();
        assert_eq!((all[0].source_id, all[0].meta["title"].as_str()), (src, Some("T")));
        assert!(case.items(Some("email")).unwrap().is_empty());
        assert_eq!(case.items_of_source(src).unwrap().len(), 1);
        assert_eq!(case.sources().unwrap()[0].kind, "article");
    }
}
