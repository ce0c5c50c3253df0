//! Account attribute files: any CSV keyed by account (such as the Clemson
//! `authors.csv` with `account_category`). Every other non-empty column
//! becomes a label of that account.

use std::io::Read;

use leaktrace_model::AccountInfo;

use crate::csvsrc::{CsvSource, field};
use crate::{Format, IngestError, Reject};

/// Column names tried, in order, when no key column is named.
pub const KEY_CANDIDATES: [&str; 9] =
    ["author_id", "account", "userid", "user_id", "author", "username", "screen_name", "user_screen_name", "handle"];

/// Labels read from an account file, with the rows that could not be used.
pub struct AccountFile {
    pub key_column: String,
    pub accounts: Vec<AccountInfo>,
    pub rejects: Vec<Reject>,
}

/// Read an account attribute CSV. `key` names the account column; by
/// default the first of [`KEY_CANDIDATES`] present, else the first column.
pub fn read_account_file(
    input: Box<dyn Read + Send>,
    display: &str,
    key: Option<&str>,
) -> Result<AccountFile, IngestError> {
    let mut src = CsvSource::new(input, display, Format::Csv)?;
    let key_idx = match key {
        Some(k) => src.require(&[k], Format::Csv)?[0],
        None => KEY_CANDIDATES.iter().find_map(|c| src.col(c)).unwrap_or(0),
    };
    let headers = src.headers().to_vec();
    let key_column = headers[key_idx].clone();
    let mut accounts = Vec::new();
    let mut rejects = Vec::new();
    while let Some(next) = src.next_record() {
        let (line, rec) = match next? {
            Ok(ok) => ok,
            Err(bad) => {
                rejects.push(Reject { line: bad.line, reason: bad.reason });
                continue;
            }
        };
        let result = (|| {
            let account = field(rec, key_idx, &key_column)?.trim();
            if account.is_empty() {
                return Err(format!("column {key_column}: empty account key"));
            }
            let mut labels = Vec::new();
            for (i, h) in headers.iter().enumerate() {
                if i == key_idx || h.is_empty() {
                    continue;
                }
                let v = field(rec, i, h)?.trim();
                if !v.is_empty() {
                    labels.push((h.clone(), v.to_string()));
                }
            }
            Ok(AccountInfo { account: account.to_lowercase(), name: Some(account.to_string()), labels })
        })();
        match result {
            Ok(info) => accounts.push(info),
            Err(reason) => rejects.push(Reject { line, reason }),
        }
    }
    Ok(AccountFile { key_column, accounts, rejects })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clemson_layout() {
        let data = "author_id,author,external_author_id,account_type,account_category\n\
                    10_gop,10_gop,906000000000000000,Right,RightTroll\n\
                    1D_Nicole_,1D_Nicole_,2535564756,Koch,Fearmonger\n\
                    ,x,1,a,b\n";
        let f = read_account_file(Box::new(data.as_bytes()), "authors.csv", None).unwrap();
        assert_eq!(f.key_column, "author_id");
        assert_eq!(f.accounts.len(), 2);
        assert_eq!(f.accounts[1].account, "1d_nicole_");
        assert!(f.accounts[1].labels.contains(&("account_category".into(), "Fearmonger".into())));
        assert_eq!(f.rejects.len(), 1);
        assert_eq!(f.rejects[0].line, 4);
    }

    #[test]
    fn named_key_must_exist() {
        let err = read_account_file(Box::new(&b"a,b\n1,2\n"[..]), "x.csv", Some("userid")).err().unwrap();
        assert!(err.to_string().contains("userid"));
    }
}
