//! From what a user types to a tantivy query: the grammar is tantivy's
//! (`"phrases"`, `AND`/`OR`/`-`, `field:value`, `pre*`, ranges), with
//! three additions: an unknown field is an error that lists the known
//! ones; `word~1` / `word~2` is a fuzzy match (edit distance 1 or 2);
//! `label:VALUE` / `label:KEY=VALUE` matches the accounts carrying that
//! label in the case's catalog at query time (so labels added after
//! indexing count at once); likewise `dkim:verified` reads the verdicts
//! `leaktrace verify` recorded. Terms without a field must all match.
//!
//! [`clause`] goes the other way: a stored value as query text, for views
//! that link to the documents carrying it.

use std::collections::BTreeSet;

use leaktrace_store::Case;
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, QueryParser};
use tantivy::query_grammar::{Delimiter, UserInputAst, UserInputLeaf};
use tantivy::schema::Field;

use crate::schema::{DEFAULT_FIELDS, FIELDS};
use crate::{Result, SearchError};

pub(crate) struct Compiler<'a> {
    pub parser: QueryParser,
    pub labels: &'a crate::CaseIndex,
    pub index: &'a tantivy::Index,
    pub case: &'a Case,
    pub default_fields: Vec<Field>,
}

fn known(field: &str) -> bool {
    FIELDS.iter().any(|(f, _)| *f == field)
}

fn unknown(field: &str) -> SearchError {
    let list: Vec<&str> = FIELDS.iter().map(|(f, _)| *f).collect();
    let hint = if field == "http" || field == "https" {
        format!("; to find a URL, quote it: url:\"{field}://…\"")
    } else {
        String::new()
    };
    SearchError::Query(format!("unknown field {field:?}{hint}; fields are: {}", list.join(", ")))
}

/// Every field a query names, for checking before anything runs.
fn check_fields(ast: &UserInputAst) -> Result<()> {
    match ast {
        UserInputAst::Clause(cs) => cs.iter().try_for_each(|(_, a)| check_fields(a)),
        UserInputAst::Boost(a, _) => check_fields(a),
        UserInputAst::Leaf(leaf) => {
            let f = match leaf.as_ref() {
                UserInputLeaf::Literal(l) => l.field_name.as_deref(),
                UserInputLeaf::Range { field, .. } | UserInputLeaf::Set { field, .. } => field.as_deref(),
                UserInputLeaf::Regex { field, .. } => field.as_deref(),
                UserInputLeaf::Exists { field } => Some(field.as_str()),
                UserInputLeaf::All => None,
            };
            match f {
                Some(f) if !known(f) => Err(unknown(f)),
                _ => Ok(()),
            }
        }
    }
}

impl Compiler<'_> {
    pub fn compile(&self, text: &str) -> Result<Box<dyn Query>> {
        if text.trim().is_empty() || text.trim() == "*" {
            return Ok(Box::new(AllQuery));
        }
        let ast = tantivy::query_grammar::parse_query(text).map_err(|_| {
            SearchError::Query(format!("cannot read the query {text:?}: check its quotes, brackets and colons"))
        })?;
        check_fields(&ast)?;
        self.convert(ast)
    }

    fn convert(&self, ast: UserInputAst) -> Result<Box<dyn Query>> {
        Ok(match ast {
            UserInputAst::Clause(clauses) => {
                let mut subs = Vec::with_capacity(clauses.len());
                for (occur, a) in clauses {
                    subs.push((occur.unwrap_or(Occur::Must), self.convert(a)?));
                }
                if subs.iter().all(|(o, _)| *o == Occur::MustNot) {
                    subs.push((Occur::Must, Box::new(AllQuery)));
                }
                Box::new(BooleanQuery::new(subs))
            }
            UserInputAst::Boost(a, b) => Box::new(BoostQuery::new(self.convert(*a)?, b.into_inner() as f32)),
            UserInputAst::Leaf(leaf) => self.leaf(*leaf)?,
        })
    }

    fn leaf(&self, leaf: UserInputLeaf) -> Result<Box<dyn Query>> {
        let leaf = match leaf {
            UserInputLeaf::Literal(l) if l.field_name.as_deref() == Some("label") => self.label(&l.phrase)?,
            UserInputLeaf::Literal(l) if l.field_name.as_deref() == Some("dkim") => return self.dkim(&l.phrase),
            UserInputLeaf::Set { field: Some(f), elements } if f == "label" => {
                let mut accounts = BTreeSet::new();
                for e in &elements {
                    accounts.extend(self.label_accounts(e)?);
                }
                UserInputLeaf::Set { field: Some("account".into()), elements: accounts.into_iter().collect() }
            }
            // One word ending in `*` or `~N`: an automaton over the terms
            // (tantivy's grammar keeps both in a bare word's text).
            UserInputLeaf::Literal(l) if l.delimiter == Delimiter::None && fuzzy_spec(&l.phrase).is_some() => {
                let (word, distance, prefix) = fuzzy_spec(&l.phrase).expect("checked");
                return self.fuzzy(l.field_name.as_deref(), word, distance, prefix);
            }
            UserInputLeaf::Literal(mut l) => {
                match l.field_name.as_deref() {
                    Some("hashtag") => l.phrase = l.phrase.trim_start_matches('#').to_string(),
                    Some("url") => {
                        if let Some(u) = leaktrace_model::derive::normalize_url(&l.phrase) {
                            l.phrase = u;
                        }
                    }
                    Some("domain") => {
                        let d = l.phrase.to_lowercase();
                        l.phrase = d.strip_prefix("www.").unwrap_or(&d).to_string();
                    }
                    Some("account" | "mention") => l.phrase = l.phrase.trim_start_matches('@').to_string(),
                    _ => {}
                }
                UserInputLeaf::Literal(l)
            }
            other => other,
        };
        self.parser
            .build_query_from_user_input_ast(UserInputAst::Leaf(Box::new(leaf)))
            .map_err(|e| SearchError::Query(e.to_string()))
    }

    /// Emails whose current verdict (from `leaktrace verify`, in the
    /// catalog) is `verdict`.
    fn dkim(&self, verdict: &str) -> Result<Box<dyn Query>> {
        let v = verdict.trim().to_ascii_lowercase();
        if !matches!(v.as_str(), "verified" | "weak" | "consistent" | "unverified" | "unsigned") {
            return Err(SearchError::Query(format!(
                "dkim:{verdict}: the verdicts are verified, unverified, unsigned, weak (SHA-1 only) and consistent (key recovered from the evidence)"
            )));
        }
        let ids: Vec<String> = self
            .case
            .messages()?
            .into_iter()
            .filter(|m| m.verdict.as_deref() == Some(v.as_str()))
            .map(|m| m.item_id.to_string())
            .collect();
        let ast = UserInputAst::Clause(vec![
            (Some(Occur::Must), leaf_literal("kind", "email")),
            (
                Some(Occur::Must),
                UserInputAst::Leaf(Box::new(UserInputLeaf::Set { field: Some("id".into()), elements: ids })),
            ),
        ]);
        self.convert(ast)
    }

    /// The accounts labelled `spec` (VALUE or KEY=VALUE), as a set leaf.
    fn label(&self, spec: &str) -> Result<UserInputLeaf> {
        let accounts = self.label_accounts(spec)?;
        Ok(UserInputLeaf::Set { field: Some("account".into()), elements: accounts.into_iter().collect() })
    }

    fn label_accounts(&self, spec: &str) -> Result<BTreeSet<String>> {
        let (key, value) = match spec.split_once(['=', ':']) {
            Some((k, v)) => (Some(k.trim()), v.trim()),
            None => (None, spec.trim()),
        };
        let keys = match key {
            Some(k) => vec![k.to_string()],
            None => self.labels.label_keys(self.case)?,
        };
        let mut out = BTreeSet::new();
        for k in keys {
            for (account, v) in self.labels.labels(self.case, &k)?.iter() {
                if v.eq_ignore_ascii_case(value) {
                    out.insert(account.to_lowercase());
                }
            }
        }
        Ok(out)
    }

    fn fuzzy(&self, field: Option<&str>, word: &str, distance: u8, prefix: bool) -> Result<Box<dyn Query>> {
        let fields: Vec<Field> = match field {
            Some(f) => vec![self.index.schema().get_field(f).map_err(|_| unknown(f))?],
            None => self.default_fields.clone(),
        };
        let mut subs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for f in fields {
            let mut analyzer = self.index.tokenizer_for_field(f).map_err(|e| SearchError::Query(e.to_string()))?;
            let mut stream = analyzer.token_stream(word);
            while let Some(tok) = stream.next() {
                let term = tantivy::Term::from_field_text(f, &tok.text);
                let q = if prefix {
                    FuzzyTermQuery::new_prefix(term, distance, true)
                } else {
                    FuzzyTermQuery::new(term, distance, true)
                };
                subs.push((Occur::Should, Box::new(q)));
            }
        }
        Ok(Box::new(BooleanQuery::new(subs)))
    }
}

/// `word*` → (word, 0, prefix); `word~` / `word~1` / `word~2` → (word, n, exact).
fn fuzzy_spec(phrase: &str) -> Option<(&str, u8, bool)> {
    if let Some(w) = phrase.strip_suffix('*').filter(|w| !w.is_empty() && !w.contains('*')) {
        return Some((w, 0, true));
    }
    let (w, n) = phrase.rsplit_once('~')?;
    let d = match n {
        "" => 1,
        "0" | "1" | "2" => n.parse().expect("digit"),
        _ => return None,
    };
    (!w.is_empty()).then_some((w, d, false))
}

fn leaf_literal(field: &str, value: &str) -> UserInputAst {
    UserInputAst::Leaf(Box::new(UserInputLeaf::Literal(tantivy::query_grammar::UserInputLiteral {
        field_name: Some(field.into()),
        phrase: value.into(),
        delimiter: Delimiter::None,
        slop: 0,
        prefix: false,
    })))
}

/// A field and value as a query clause, quoted (with `\` and `"` escaped)
/// unless the value is a plain word, so any stored value can be searched.
pub fn clause(field: &str, value: &str) -> String {
    if !value.is_empty() && value.chars().all(|c| c.is_alphanumeric() || "._-@".contains(c)) {
        format!("{field}:{value}")
    } else {
        format!("{field}:\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

pub(crate) fn default_fields(schema: &tantivy::schema::Schema) -> Vec<Field> {
    DEFAULT_FIELDS.iter().map(|f| schema.get_field(f).expect("default field in schema")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clause_reads_back_as_its_field_and_value() {
        assert_eq!(clause("account", "alice_1"), "account:alice_1");
        assert_eq!(clause("domain", "example.org"), "domain:example.org");
        assert_eq!(clause("account", "two words"), "account:\"two words\"");
        assert_eq!(clause("label", ""), "label:\"\"");
        for value in ["alice_1", "a.b@c-d", "two words", "say \"hi\"", "back\\slash \\\"", "x:y", "(a OR b)"] {
            let ast = tantivy::query_grammar::parse_query(&clause("account", value)).unwrap();
            let UserInputAst::Leaf(leaf) = ast else { panic!("{value:?}: {ast:?}") };
            let UserInputLeaf::Literal(l) = *leaf else { panic!("{value:?}") };
            assert_eq!((l.field_name.as_deref(), l.phrase.as_str()), (Some("account"), value));
        }
    }
}
