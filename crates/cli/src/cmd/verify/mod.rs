//! `leaktrace verify FILE|DIR... --keys ARCHIVE [--no-bundled-keys] [--online [--dns-server ADDR:PORT]] [--json] [--sort-into OUTDIR]`
//!
//! The run over mail files is here; the flags are in `args.rs`, the batches
//! in `check.rs`, the same for a case's stored mail in `case.rs`, the
//! printed and sorted results in `output.rs` and `sort.rs`, the `--online`
//! key fetching in `fetch.rs`.

mod args;
mod case;
mod check;
mod fetch;
mod output;
mod sort;

use anyhow::{Result, bail};
use leaktrace_ingest::mail::for_each_message;
use leaktrace_verify::KeyArchive;
use leaktrace_verify::keys::bundled;

pub use args::Args;
pub use case::verify_case;
pub use check::BATCH_BYTES;
use check::{Batch, Checker};

pub fn run(args: Args) -> Result<()> {
    if let Some(server) = args.dns_server
        && !args.online
    {
        bail!(
            "--dns-server {server} needs --online: without --online no DNS query is made \
             (add --online to fetch missing keys from that server, or drop --dns-server)"
        );
    }
    let mut keys = match &args.keys {
        Some(p) if !p.exists() && !args.online => bail!("{}: no such key archive", p.display()),
        Some(p) => KeyArchive::load(p)?,
        None => {
            if args.online {
                bail!("--online needs --keys ARCHIVE: the file fetched keys are written to");
            }
            if args.no_bundled_keys {
                eprintln!("leaktrace: no --keys given: every signature will be reported key_not_found");
            } else {
                eprintln!("leaktrace: no --keys given: only the bundled archive of provider keys is consulted");
            }
            KeyArchive::empty()
        }
    };
    // The bundled archive comes last: a record of the user's for the same
    // name is tried first, and named when it is the same key.
    if !args.no_bundled_keys {
        keys.extend_after(&bundled::archive());
    }
    for p in &args.inputs {
        if !p.exists() {
            bail!("{}: no such file or folder", p.display());
        }
        if p.join("catalog.sqlite").is_file() {
            return verify_case(p, keys, &args);
        }
    }
    let mut checker = Checker::new(keys, &args)?;
    let mut failed = 0;
    let mut batch = Batch::default();
    for input in &args.inputs {
        let r = for_each_message(input, args.mbox_variant, &mut |item| -> Result<()> {
            if batch.push(item) {
                checker.check_files(&mut batch)?;
            }
            Ok(())
        });
        if let Err(e) = r {
            eprintln!("leaktrace: error: {e:#}");
            failed += 1;
        }
    }
    checker.check_files(&mut batch)?;
    checker.finish()?;
    if failed > 0 {
        bail!("{failed} of {} inputs could not be read completely (see above)", args.inputs.len());
    }
    Ok(())
}
