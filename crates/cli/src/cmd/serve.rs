//! `leaktrace serve DIR [--bind ADDR:PORT] [--token T]`

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Result;
use leaktrace_web::ServeOptions;

/// Open a case in the browser: a local web UI over the case.
///
/// Pages: the case overview (sources with their hashes, verification,
/// analyses), search with facets, each email (DKIM badge with its reasons,
/// header forensics, attachments with their fingerprints, the original
/// bytes), each account (activity, labels, coordination partners with the
/// evidence behind every edge), the network drawn as a graph (click a node
/// or an edge), and the timeline (cascades, lead/lag, declared events).
///
/// Everything is served from the binary; no page loads anything from
/// another machine, and leaked HTML is shown sanitised in a sandbox that
/// runs no script. The server only reads the case.
///
/// It listens on 127.0.0.1 (this machine only) unless --bind says
/// otherwise; any other address needs --token (or LEAKTRACE_TOKEN), which
/// every request must then carry (the printed URL has it). The URL is
/// printed on a line of its own. Stop the server with Ctrl-C.
///
/// Examples:
///   leaktrace serve mycase
///   leaktrace serve mycase --bind 127.0.0.1:0          (any free port)
///   LEAKTRACE_TOKEN=$(openssl rand -hex 16) leaktrace serve mycase --bind 0.0.0.0:8080
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The case folder.
    pub dir: PathBuf,
    /// Address and port to listen on (port 0: any free port).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Secret every request must carry (at least 16 characters); required off loopback.
    #[arg(long, value_name = "T", env = "LEAKTRACE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

pub fn run(args: Args) -> Result<()> {
    serve(&args.dir, args.bind, args.token)
}

/// Serve a case, printing the URL on a line of its own.
pub fn serve(dir: &std::path::Path, bind: SocketAddr, token: Option<String>) -> Result<()> {
    let opts = ServeOptions { bind, token };
    leaktrace_web::serve(dir, &opts, |url| {
        eprintln!("leaktrace: serving {} (Ctrl-C to stop)", dir.display());
        println!("{url}");
        let _ = std::io::stdout().flush();
    })
}
