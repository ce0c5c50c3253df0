//! `--online`: keys missing from the archive looked up in DNS, checked, and
//! archived with where and when they were fetched.

use std::collections::HashSet;
use std::net::SocketAddr;

use anyhow::{Context, Result};
use leaktrace_ingest::mail::MailItem;
use leaktrace_verify::Verifier;
use leaktrace_verify::keys::{FetchedKeyError, bundled};

/// Keys fetched from DNS for `--online`, each name asked once per run.
/// `Default` asks the system's resolver.
#[derive(Default)]
pub struct Fetcher {
    asked: HashSet<String>,
    /// `--dns-server`: the one DNS server to ask instead of the system's resolver.
    server: Option<SocketAddr>,
}

impl Fetcher {
    pub fn new(server: Option<SocketAddr>) -> Fetcher {
        Fetcher { asked: HashSet::new(), server }
    }

    pub fn fetch_missing(&mut self, verifier: &mut Verifier, batch: &[MailItem]) -> Result<()> {
        let mut names = Vec::new();
        for item in batch {
            for (s, d) in leaktrace_verify::key_names(&item.raw.bytes) {
                let name = format!("{s}._domainkey.{d}").to_ascii_lowercase();
                // A name the bundled archive alone holds is still asked: that
                // copy is of an old key, and DNS may publish a newer one.
                let archived = verifier.keys().lookup(&s, &d).iter().any(|r| !r.origin.starts_with(bundled::ORIGIN));
                if !archived && self.asked.insert(name.clone()) {
                    // s= and d= come from the message: only a well-formed
                    // DNS name is asked for.
                    if leaktrace_verify::keys::is_key_name(&name) {
                        names.push(name);
                    } else {
                        eprintln!("leaktrace: {name:?}: not a DNS name, not looked up");
                    }
                }
            }
        }
        if names.is_empty() {
            return Ok(());
        }
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let from = match self.server {
            Some(addr) => format!("DNS server {addr}"),
            None => "the system's DNS resolver".to_string(),
        };
        for (name, r) in leaktrace_verify::online::fetch_keys(&names, self.server).map_err(anyhow::Error::msg)? {
            match r {
                Ok(Some(value)) => match verifier.keys_mut().append_fetched(&name, &value, &today, &from) {
                    Ok(()) => eprintln!("leaktrace: fetched {name} from DNS and added it to the archive"),
                    // The message is then judged as if DNS had no key.
                    Err(FetchedKeyError::Refused(why)) => {
                        eprintln!("leaktrace: {name}: the record from {from} was not archived and not used: {why}")
                    }
                    Err(e) => return Err(e).with_context(|| format!("cannot append the key of {name} to the archive")),
                },
                Ok(None) => eprintln!("leaktrace: {name}: no key published in DNS today"),
                Err(e) => eprintln!("leaktrace: {name}: DNS lookup failed: {e}"),
            }
        }
        Ok(())
    }
}
