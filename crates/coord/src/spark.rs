//! The co-action networks computed by Apache Spark instead of this machine.
//!
//! For archives too large for one machine, the heavy step (the windowed
//! self-join of every object's actions, and the aggregation of account
//! pairs) runs as a Spark job on the cluster the team already has (local
//! threads, a standalone cluster, YARN, Kubernetes, …). We write no
//! distributed engine: the job is a PySpark program shipped inside the
//! binary ([`JOB`], `crates/coord/spark/coord_job.py`), written out at run
//! time and given to `spark-submit`. PySpark rather than a jar: a jar would
//! need a JVM build (sbt or Maven, and their downloads) in every build of
//! this project, while the script needs nothing beyond the `pyspark`
//! package that brings `spark-submit` anyway.
//!
//! The job reads the posts tables where the cluster can read them (the
//! case's own `posts/` folder, or a copy on `s3a://`, `hdfs://`, … made by
//! `leaktrace export --format parquet`), computes every network with the
//! native engine's rules (tested against it network by network on the
//! fixtures), and streams only the results back to the driver: the edges,
//! the evidence, and the accounts they name. [`compute`] turns them into an
//! ordinary [`CoordResult`], so storing, exports, clusters, the web UI and
//! the report work on it unchanged.
//!
//! Invariants: this module never reads a post itself, never binds or
//! contacts an address (Spark does, as configured: on a local master it is
//! told to use loopback only), and fails before any work when no Spark or
//! no Java is found, saying what to install.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;

use leaktrace_model::PostKind;
use leaktrace_store::Case;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Deserialize;
use serde_json::json;

use crate::table::{NO_ID, PostTable};
use crate::{CoordError, CoordResult, Edge, Evidence, Network, NetworkResult, Params, Result, io_err};

/// The job, as shipped: written out for `spark-submit` at every run.
pub const JOB: &str = include_str!("../spark/coord_job.py");

/// The version of the contract between [`compute`] and [`JOB`] (its
/// arguments and output files); the job refuses another.
pub const JOB_VERSION: u32 = 2;

/// The pyspark release CI and the README install; the job runs on any
/// Spark 3.3 or later.
pub const PYSPARK_PIN: &str = "pyspark==3.5.3";

/// A line of the job's output longer than this is not the job's.
const MAX_RESULT_LINE: usize = 64 << 20;

/// How to reach Spark.
#[derive(Clone, Debug, Default)]
pub struct SparkOptions {
    /// `local[N]`, `spark://HOST:PORT`, `yarn`, `k8s://…` (default `local[*]`).
    pub master: Option<String>,
    /// `--conf K=V` for `spark-submit`, in order.
    pub conf: Vec<(String, String)>,
    /// `spark-submit` to use; else `$SPARK_HOME/bin/spark-submit`, else the
    /// one of an installed `pyspark`, else `spark-submit` on the `PATH`.
    pub spark_submit: Option<PathBuf>,
    /// The posts table where the cluster reads it (a path or URL of a
    /// folder of Parquet files in the case's posts schema); default: the
    /// case's own `posts/` folder.
    pub posts: Option<String>,
}

/// The Spark installation found, and how.
#[derive(Clone, Debug)]
pub struct Installation {
    pub spark_submit: PathBuf,
    /// Where it came from: `--spark-submit`, `SPARK_HOME`, `pyspark`, `PATH`.
    pub found_by: &'static str,
    pub java: PathBuf,
}

fn missing(what: &str) -> CoordError {
    CoordError::Params(format!(
        "--engine spark: {what}. Install Spark with `python3 -m pip install {PYSPARK_PIN}` (it brings \
         spark-submit) and Java 17 (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`), or give \
         --spark-submit PATH or set SPARK_HOME to an installed Spark"
    ))
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// Refuse what the job cannot do, before any work: the null models and the
/// window estimate need every action of the case, and the job returns only
/// the edges' evidence; the fast weights are computed from that evidence.
pub fn refuse_native_only(params: &Params) -> Result<()> {
    let native = "; run it with the native engine (drop --engine spark)";
    if params.significance.is_some() {
        return Err(CoordError::Params(format!(
            "--significance randomises every action of the case, which stays on the cluster with --engine spark{native}"
        )));
    }
    if params.window_auto.as_ref().is_some_and(|a| a.estimate_ms.is_none()) {
        return Err(CoordError::Params(format!(
            "--window auto reads every object's actions, which stay on the cluster with --engine spark{native}, \
             or give the window"
        )));
    }
    if params.fast_window_ms.is_some() && !params.evidence {
        return Err(CoordError::Params(
            "--fast-window with --engine spark is computed from the evidence the job returns; drop --no-evidence"
                .into(),
        ));
    }
    Ok(())
}

/// Find `spark-submit` and a working Java, before any work.
pub fn locate(explicit: Option<&Path>) -> Result<Installation> {
    let (spark_submit, found_by) = if let Some(p) = explicit {
        if !p.is_file() {
            return Err(missing(&format!("--spark-submit {}: no such file", p.display())));
        }
        (p.to_path_buf(), "--spark-submit")
    } else if let Some(home) = std::env::var_os("SPARK_HOME").filter(|h| !h.is_empty()) {
        let p = Path::new(&home).join("bin").join("spark-submit");
        if !p.is_file() {
            return Err(missing(&format!("SPARK_HOME is {} but it has no bin/spark-submit", p.display())));
        }
        (p, "SPARK_HOME")
    } else if let Some(p) = pyspark_submit() {
        (p, "pyspark")
    } else if let Some(p) = on_path("spark-submit") {
        (p, "PATH")
    } else {
        return Err(missing("no Spark found (no --spark-submit, no SPARK_HOME, no pyspark, no spark-submit on PATH)"));
    };
    let java = match std::env::var_os("JAVA_HOME").filter(|h| !h.is_empty()) {
        Some(h) => Some(Path::new(&h).join("bin").join("java")).filter(|p| p.is_file()),
        None => on_path("java"),
    }
    .ok_or_else(|| missing("no Java found (JAVA_HOME unset or without bin/java, and no java on PATH)"))?;
    let works = Command::new(&java)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        return Err(missing(&format!("{} -version failed", java.display())));
    }
    Ok(Installation { spark_submit, found_by, java })
}

/// The Python that runs the driver.
fn python() -> String {
    std::env::var("PYSPARK_PYTHON").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "python3".into())
}

/// The `spark-submit` of an installed pyspark package.
fn pyspark_submit() -> Option<PathBuf> {
    let out = Command::new(python())
        .args(["-c", "import os, pyspark; print(os.path.dirname(pyspark.__file__))"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let dir = String::from_utf8(out.stdout).ok()?;
    let p = Path::new(dir.trim()).join("bin").join("spark-submit");
    (out.status.success() && p.is_file()).then_some(p)
}

/// Is `master` on this machine only (so Spark may be told to use loopback)?
fn local_master(master: &str) -> bool {
    master.starts_with("local")
        || ["spark://127.0.0.1:", "spark://localhost:", "spark://[::1]:"].iter().any(|p| master.starts_with(p))
}

#[derive(Deserialize)]
struct JobEdge {
    network: String,
    directed: bool,
    source: String,
    target: String,
    weight: u64,
    events: u64,
    p_value: Option<f64>,
}

#[derive(Deserialize)]
struct JobEvidence {
    network: String,
    source: String,
    target: String,
    object: String,
    post_1: i64,
    time_1: i64,
    post_2: i64,
    time_2: i64,
    similarity: Option<f64>,
}

#[derive(Deserialize)]
struct JobAccount {
    account: String,
    name: Option<String>,
    /// Order of first appearance in the case (the native engine's account order).
    rank: i64,
}

/// Each line of `path` as a `T`; a missing file is no lines.
fn read_lines<T: for<'de> Deserialize<'de>>(path: &Path, mut each: impl FnMut(T) -> Result<()>) -> Result<()> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err(path)(e)),
    };
    let mut r = BufReader::new(file);
    let mut line = Vec::new();
    for n in 1.. {
        line.clear();
        let got = r.by_ref().take(MAX_RESULT_LINE as u64 + 1).read_until(b'\n', &mut line).map_err(io_err(path))?;
        if got == 0 {
            break;
        }
        if line.len() > MAX_RESULT_LINE {
            return Err(CoordError::Input(format!("{}: line {n} is over {MAX_RESULT_LINE} bytes", path.display())));
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let v = serde_json::from_slice(&line)
            .map_err(|e| CoordError::Input(format!("{}: line {n}: {e}", path.display())))?;
        each(v)?;
    }
    Ok(())
}

/// Compute the networks of `params` on Spark and bring the result back.
/// `progress` gets the job's own progress lines (and a line when Spark
/// starts); everything Spark prints goes to a log kept with the error when
/// the job fails.
pub fn compute(
    case: &Case,
    params: &Params,
    opts: &SparkOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<CoordResult> {
    params.validate()?;
    refuse_native_only(params)?;
    let spark = locate(opts.spark_submit.as_deref())?;
    let posts = match &opts.posts {
        Some(url) => url.clone(),
        None => {
            if case.post_files()?.is_empty() {
                return Err(CoordError::Input(format!(
                    "{}: the case has no posts; add some with `leaktrace ingest`, or give --posts URL",
                    case.root().display()
                )));
            }
            case.root().join("posts").display().to_string()
        }
    };
    let master = opts.master.clone().unwrap_or_else(|| "local[*]".into());
    let work = tempfile::Builder::new().prefix("leaktrace-spark-").tempdir().map_err(io_err(Path::new("temp dir")))?;
    let (job, params_file, out) =
        (work.path().join("coord_job.py"), work.path().join("params.json"), work.path().join("out"));
    std::fs::write(&job, JOB).map_err(io_err(&job))?;
    let mut pj = serde_json::to_value(params)?;
    pj["job_version"] = json!(JOB_VERSION);
    std::fs::write(&params_file, serde_json::to_vec_pretty(&pj)?).map_err(io_err(&params_file))?;
    std::fs::create_dir(&out).map_err(io_err(&out))?;

    let mut cmd = Command::new(&spark.spark_submit);
    cmd.arg("--master").arg(&master).args(["--name", "leaktrace coord"]);
    for (k, v) in &opts.conf {
        cmd.arg("--conf").arg(format!("{k}={v}"));
    }
    cmd.arg(&job).arg("--params").arg(&params_file).arg("--posts").arg(&posts).arg("--out").arg(&out);
    if local_master(&master) && std::env::var_os("SPARK_LOCAL_IP").is_none() {
        cmd.env("SPARK_LOCAL_IP", "127.0.0.1");
    }
    if std::env::var_os("PYSPARK_PYTHON").is_none() {
        cmd.env("PYSPARK_PYTHON", python());
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    progress(&format!("starting Spark ({}, found by {}) on {master}", spark.spark_submit.display(), spark.found_by));
    let mut child = cmd.spawn().map_err(io_err(&spark.spark_submit))?;
    let log_path = work.path().join("spark.log");
    let mut log = std::fs::File::create(&log_path).map_err(io_err(&log_path))?;
    let (tx, rx) = mpsc::channel::<String>();
    let readers: Vec<_> = [
        Box::new(child.stdout.take().expect("piped")) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().expect("piped")),
    ]
    .into_iter()
    .map(|stream| {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).split(b'\n').map_while(std::io::Result::ok) {
                if tx.send(String::from_utf8_lossy(&line).into_owned()).is_err() {
                    break;
                }
            }
        })
    })
    .collect();
    drop(tx);
    let mut tail: std::collections::VecDeque<String> = Default::default();
    for line in rx {
        let _ = writeln!(log, "{line}");
        if let Some(msg) = line.strip_prefix("leaktrace-job: ") {
            progress(msg);
        }
        if tail.len() == 20 {
            tail.pop_front();
        }
        tail.push_back(line);
    }
    for r in readers {
        let _ = r.join();
    }
    let status = child.wait().map_err(io_err(&spark.spark_submit))?;
    if !status.success() || !out.join("_DONE").is_file() {
        // The log outlives the run, for whoever reads the error.
        let kept = work.keep();
        let why: Vec<&String> = tail.iter().filter(|l| l.contains("leaktrace-job") || l.contains("Error")).collect();
        let shown: Vec<&String> = if why.is_empty() { tail.iter().collect() } else { why };
        return Err(CoordError::Input(format!(
            "the Spark job failed ({status}); its last words:\n  {}\nfull log: {}",
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n  "),
            kept.join("spark.log").display()
        )));
    }
    let summary_path = out.join("summary.json");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary_path).map_err(io_err(&summary_path))?)
            .map_err(|e| CoordError::Input(format!("{}: {e}", summary_path.display())))?;
    let mut result = assemble(params, &out)?;
    result.posts_read = summary["posts"].as_u64().unwrap_or(0) as usize;
    result.engine = Some(json!({
        "name": "spark",
        "master": master,
        "posts": posts,
        "job_version": JOB_VERSION,
        "spark": summary.get("spark"),
        "metrics": summary.get("metrics"),
    }));
    Ok(result)
}

/// Build the result from the job's output files in `out`.
fn assemble(params: &Params, out: &Path) -> Result<CoordResult> {
    let mut accounts = Vec::new();
    read_lines(&out.join("accounts.jsonl"), |a: JobAccount| {
        accounts.push(a);
        Ok(())
    })?;
    accounts.sort_by_key(|a| a.rank);
    let mut t = PostTable::default();
    for a in accounts {
        let i = t.accounts.id(&a.account);
        if i as usize == t.account_names.len() {
            t.account_names.push(a.name);
        }
    }
    let acct = |t: &mut PostTable, name: &str| {
        let i = t.accounts.id(name);
        if i as usize == t.account_names.len() {
            t.account_names.push(None);
        }
        i
    };
    let mut nets: BTreeMap<Network, NetworkResult> = params
        .networks
        .iter()
        .map(|&n| {
            let r = NetworkResult {
                network: n,
                directed: false,
                edges: vec![],
                objects: vec![],
                evidence: vec![],
                significance: None,
            };
            (n, r)
        })
        .collect();
    let net = |nets: &mut BTreeMap<Network, NetworkResult>, name: &str, file: &str| {
        let n = Network::parse(name)
            .filter(|n| nets.contains_key(n))
            .ok_or_else(|| CoordError::Input(format!("{file}: network {name:?} was not asked for")))?;
        Ok::<_, CoordError>(n)
    };
    read_lines(&out.join("edges.jsonl"), |e: JobEdge| {
        let n = net(&mut nets, &e.network, "edges.jsonl")?;
        let (source, target) = (acct(&mut t, &e.source), acct(&mut t, &e.target));
        let r = nets.get_mut(&n).expect("checked");
        r.directed = e.directed;
        r.edges.push(Edge { p_value: e.p_value, ..Edge::new(source, target, e.weight, e.events) });
        Ok(())
    })?;
    let mut rows: FxHashMap<(i64, i64, u32), u32> = FxHashMap::default();
    let mut objects: FxHashMap<(Network, String), u32> = FxHashMap::default();
    read_lines(&out.join("evidence.jsonl"), |e: JobEvidence| {
        let n = net(&mut nets, &e.network, "evidence.jsonl")?;
        let (source, target) = (acct(&mut t, &e.source), acct(&mut t, &e.target));
        let mut row = |t: &mut PostTable, id: i64, time: i64, a: u32| {
            *rows.entry((id, time, a)).or_insert_with(|| {
                t.id.push(id);
                t.account.push(a);
                t.time_ms.push(time);
                t.kind.push(PostKind::Post);
                t.target_id.push(0);
                t.target_obj.push(NO_ID);
                t.first.push(true);
                (t.id.len() - 1) as u32
            })
        };
        let (post_1, post_2) = (row(&mut t, e.post_1, e.time_1, source), row(&mut t, e.post_2, e.time_2, target));
        let r = nets.get_mut(&n).expect("checked");
        let next = r.objects.len() as u32;
        let object = *objects.entry((n, e.object)).or_insert_with_key(|(_, label)| {
            r.objects.push(label.clone());
            next
        });
        r.evidence.push(Evidence { source, target, object, post_1, post_2, similarity: e.similarity });
        Ok(())
    })?;
    let mut networks = Vec::new();
    for &n in &params.networks {
        let mut r = nets.remove(&n).expect("one per network");
        // Symmetry and fast weights from the returned evidence, as natively.
        if params.evidence {
            crate::symmetry::fill(&mut r, |p| t.time_ms[p as usize], params.fast_window_ms);
        }
        // The native engine's order: by account key, then the other account key.
        let name = |i: u32| t.accounts.name(i as usize).as_bytes();
        r.edges.par_sort_by(|a, b| (name(a.source), name(a.target)).cmp(&(name(b.source), name(b.target))));
        r.evidence.par_sort_by_key(|e| (e.source, e.target, t.time_ms[e.post_1 as usize], e.post_1, e.post_2));
        networks.push(r);
    }
    Ok(CoordResult { params: params.clone(), posts: t, posts_read: 0, engine: None, networks })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_only_for_masters_on_this_machine() {
        assert!(local_master("local[2]"));
        assert!(local_master("local[*]"));
        assert!(local_master("spark://127.0.0.1:7077"));
        assert!(!local_master("spark://10.0.0.5:7077"));
        assert!(!local_master("yarn"));
        assert!(!local_master("k8s://https://cluster:443"));
    }

    #[test]
    fn the_job_names_its_contract_version() {
        assert!(JOB.contains(&format!("JOB_VERSION = {JOB_VERSION}")), "coord_job.py and JOB_VERSION disagree");
    }

    #[test]
    fn results_are_assembled_in_the_native_order_and_orientation() {
        let dir = tempfile::tempdir().unwrap();
        let w = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        w(
            "accounts.jsonl",
            "{\"account\":\"zed\",\"name\":\"Zed\",\"rank\":0}\n{\"account\":\"amy\",\"name\":null,\"rank\":1}\n{\"account\":\"bob\",\"name\":\"Bob\",\"rank\":2}\n",
        );
        w(
            "edges.jsonl",
            "{\"network\":\"co-link\",\"directed\":false,\"source\":\"zed\",\"target\":\"bob\",\"weight\":2,\"events\":3,\"p_value\":null}\n\
             {\"network\":\"co-link\",\"directed\":false,\"source\":\"amy\",\"target\":\"bob\",\"weight\":1,\"events\":1,\"p_value\":null}\n",
        );
        w(
            "evidence.jsonl",
            "{\"network\":\"co-link\",\"source\":\"zed\",\"target\":\"bob\",\"object\":\"http://a/\",\"post_1\":7,\"time_1\":2000,\"post_2\":8,\"time_2\":2500,\"similarity\":null}\n\
             {\"network\":\"co-link\",\"source\":\"zed\",\"target\":\"bob\",\"object\":\"http://a/\",\"post_1\":5,\"time_1\":1000,\"post_2\":8,\"time_2\":2500,\"similarity\":null}\n",
        );
        let params = Params::new(vec![Network::CoLink, Network::CoHashtag], 60_000);
        let r = assemble(&params, dir.path()).unwrap();
        assert_eq!(r.networks.len(), 2);
        let l = &r.networks[0];
        // Sorted by account key: amy–bob before zed–bob; orientation kept as the job gave it.
        let pairs: Vec<(&str, &str)> = l.edges.iter().map(|e| (r.account(e.source), r.account(e.target))).collect();
        assert_eq!(pairs, [("amy", "bob"), ("zed", "bob")]);
        assert_eq!(r.posts.account_names, [Some("Zed".into()), None, Some("Bob".into())]);
        // Evidence by time of the first post; the shared post 8 is one row.
        let times: Vec<i64> = l.evidence.iter().map(|e| r.posts.time_ms[e.post_1 as usize]).collect();
        assert_eq!(times, [1000, 2000]);
        assert_eq!(r.posts.len(), 3);
        assert_eq!(l.objects, ["http://a/"]);
        assert!(r.networks[1].edges.is_empty());
        std::fs::write(dir.path().join("edges.jsonl"), "{\"network\":\"sync\"}\n").unwrap();
        assert!(assemble(&params, dir.path()).is_err(), "a network not asked for, or a short record, is an error");
    }
}
