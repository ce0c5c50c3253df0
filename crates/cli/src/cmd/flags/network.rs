//! The flags that define co-action networks, and the engine that computes
//! them: declared once, flattened into every command that computes networks
//! (`coord`, `clusters`), so each takes all of them with the same meaning.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use leaktrace_coord::spark::SparkOptions;
use leaktrace_coord::{
    Compat, CoordResult, Network, NullModel, Params, Significance, WindowAuto, compute, parse_duration,
};
use leaktrace_store::Case;

/// What a network is: which actions, within which window, kept how.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Networks")]
pub struct NetworkArgs {
    /// Networks, comma-separated: co-retweet, co-tweet, co-similar-text, co-link,
    /// co-domain, co-hashtag, co-mention, co-reply, sync, co-image.
    #[arg(long, value_name = "NAME[,NAME...]")]
    pub network: Vec<String>,
    /// Time window: seconds (60, 60s) or 10m, 1h, 2d (for sync: the bucket
    /// size), or auto: estimated from the data as CooRnet does (see --rapid-q).
    #[arg(long, value_name = "DURATION|auto", allow_hyphen_values = true)]
    pub window: Option<String>,
    /// --window auto: keep the quickest Q share of objects, by the delay of
    /// their second action.
    #[arg(long, value_name = "Q", default_value_t = 0.1)]
    pub rapid_q: f64,
    /// --window auto: the window is the P quantile, over those objects, of
    /// the time they take to pass the share P of their actions.
    #[arg(long, value_name = "P", default_value_t = 0.5)]
    pub rapid_p: f64,
    /// Also weigh each edge within this narrower window (the fast
    /// sub-network: edges whose fast weight reaches --min-weight).
    #[arg(long, value_name = "DURATION")]
    pub fast_window: Option<String>,
    /// Drop edges lighter than this.
    #[arg(long, value_name = "K", default_value_t = 2)]
    pub min_weight: u64,
    /// Reproduce another tool's results: qut.
    #[arg(long, value_name = "TOOL")]
    pub compat: Option<String>,
    /// co-similar-text: Jaccard similarity threshold, in (0, 1].
    #[arg(long, value_name = "T", default_value_t = 0.8, allow_hyphen_values = true)]
    pub similarity: f64,
    /// co-similar-text: ignore posts with fewer distinct words [default: 5; 1 with --compat qut].
    #[arg(long, value_name = "N")]
    pub min_tokens: Option<usize>,
    /// co-image: images whose 64-bit perceptual hashes differ in at most this
    /// many bits are the same image (0: identical hashes only; at most 16).
    #[arg(long, value_name = "BITS", default_value_t = leaktrace_coord::DEFAULT_IMAGE_DISTANCE)]
    pub image_distance: u32,
    /// sync: keep pairs whose shared buckets have at most this probability by chance.
    #[arg(long, value_name = "P", default_value_t = 1e-6)]
    pub sync_p: f64,
    /// Do not keep the pairs of posts behind each edge (smaller results on
    /// huge networks; clusters then show no shared objects or time spans).
    #[arg(long)]
    pub no_evidence: bool,
    /// Memory for the table of account pairs (512M, 8G) [default: half the memory available].
    #[arg(long, value_name = "SIZE", value_parser = crate::text::parse_size)]
    pub memory: Option<u64>,
    #[command(flatten)]
    pub significance: SignificanceArgs,
}

/// Testing edges against chance.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Significance (is an edge more than chance?)")]
pub struct SignificanceArgs {
    /// Test every edge against a null model and keep those whose q-value
    /// (Benjamini–Hochberg over the pairs that co-acted) is at most P.
    #[arg(long, value_name = "P")]
    pub significance: Option<f64>,
    /// The null model: swap (who acted on what, shuffled; each account's
    /// number of actions and each object's actions over time kept) or shift
    /// (each account's times moved circularly by one random offset).
    #[arg(long, value_name = "MODEL", default_value = "swap")]
    pub null: String,
    /// shift: move each account by at most this (60m, 1d) instead of around
    /// the whole span of the network's actions.
    #[arg(long, value_name = "DURATION")]
    pub shift_max: Option<String>,
    /// Randomisations of the null model (p-values are at least 1 / (R + 1)).
    #[arg(long, value_name = "R", default_value_t = 1000)]
    pub randomisations: u32,
    /// Seed of the randomisations (the same seed gives the same p-values).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// Keep every edge with its p- and q-value instead of dropping the
    /// edges that are not significant.
    #[arg(long)]
    pub flag: bool,
}

impl SignificanceArgs {
    fn params(&self) -> Result<Option<Significance>> {
        let null = NullModel::parse(&self.null)
            .with_context(|| format!("unknown --null {:?}; use swap or shift", self.null))?;
        let Some(level) = self.significance else {
            let given = [
                (self.null != "swap").then_some("--null"),
                (self.randomisations != 1000).then_some("--randomisations"),
                (self.seed != 1).then_some("--seed"),
                self.flag.then_some("--flag"),
                self.shift_max.as_ref().map(|_| "--shift-max"),
            ];
            if let Some(flag) = given.into_iter().flatten().next() {
                bail!("{flag} is for --significance P");
            }
            return Ok(None);
        };
        let shift_max_ms = self.shift_max.as_deref().map(parse_duration).transpose().context("--shift-max")?;
        Ok(Some(Significance {
            level,
            null,
            randomisations: self.randomisations,
            seed: self.seed,
            flag_only: self.flag,
            shift_max_ms,
        }))
    }
}

impl NetworkArgs {
    /// Were networks asked for on the command line?
    pub fn given(&self) -> bool {
        !self.network.is_empty() || self.window.is_some()
    }

    /// The parameters, checked before any work.
    pub fn params(&self) -> Result<Params> {
        if self.network.is_empty() {
            bail!("give --network NAME[,NAME...] (see `leaktrace coord --help` for the networks)");
        }
        let Some(window) = &self.window else { bail!("give --window DURATION (60, 60s, 10m, 1h, 2d, auto)") };
        let networks = Network::parse_list(&self.network.join(","))?;
        let auto = window.trim() == "auto";
        let window_ms = if auto { 0 } else { parse_duration(window)? };
        if !auto && (self.rapid_q != 0.1 || self.rapid_p != 0.5) {
            bail!("--rapid-q and --rapid-p are for --window auto");
        }
        let compat = match self.compat.as_deref() {
            None => None,
            Some("qut") => Some(Compat::Qut),
            Some(other) => bail!("unknown --compat {other:?}; the one known tool is qut"),
        };
        let mut p = match compat {
            Some(Compat::Qut) => Params::qut(networks, window_ms, self.min_weight),
            None => Params::new(networks, window_ms),
        };
        self.apply(&mut p)?;
        if auto {
            p.window_auto = Some(WindowAuto::new(self.rapid_q, self.rapid_p));
        }
        p.validate()?;
        Ok(p)
    }

    fn apply(&self, p: &mut Params) -> Result<()> {
        p.min_weight = self.min_weight;
        p.similarity = self.similarity;
        if let Some(n) = self.min_tokens {
            p.min_tokens = n;
        }
        p.sync_max_p = self.sync_p;
        p.image_distance = self.image_distance;
        p.evidence = !self.no_evidence;
        p.fast_window_ms = self.fast_window.as_deref().map(parse_duration).transpose().context("--fast-window")?;
        p.significance = self.significance.params()?;
        Ok(())
    }

    /// Flags that change a stored run's parameters when it is computed
    /// again (`clusters --run ID`): significance and the fast window.
    pub fn apply_to_stored(&self, p: &mut Params) -> Result<()> {
        if self.no_evidence {
            p.evidence = false;
        }
        if let Some(f) = &self.fast_window {
            p.fast_window_ms = Some(parse_duration(f).context("--fast-window")?);
        }
        if let Some(s) = self.significance.params()? {
            p.significance = Some(s);
        }
        p.validate()?;
        Ok(())
    }

    /// Settings that do not change the result.
    pub fn set_memory(&self) {
        if let Some(m) = self.memory {
            leaktrace_coord::set_memory_limit(m);
        }
    }
}

/// Where the networks are computed.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Engine (where the networks are computed)")]
pub struct EngineArgs {
    /// native (this machine) or spark (an Apache Spark job: same edges, same
    /// evidence, stored the same way).
    #[arg(long, value_name = "ENGINE", default_value = "native")]
    pub engine: String,
    /// Spark master: local[N], local[*], spark://HOST:PORT, yarn, k8s://URL [default: local[*]].
    #[arg(long, value_name = "URL")]
    pub master: Option<String>,
    /// A Spark setting for spark-submit (repeatable): --conf spark.executor.memory=8g.
    #[arg(long = "conf", value_name = "K=V")]
    pub conf: Vec<String>,
    /// The spark-submit to run [default: $SPARK_HOME/bin/spark-submit, else
    /// the one of an installed pyspark, else spark-submit on the PATH].
    #[arg(long, value_name = "PATH")]
    pub spark_submit: Option<PathBuf>,
    /// The posts table where the cluster reads it (s3a://..., hdfs://..., a
    /// path): a copy of the folder `leaktrace export --format parquet` writes
    /// [default: the case's own posts/].
    #[arg(long, value_name = "URL")]
    pub posts: Option<String>,
}

impl EngineArgs {
    /// The Spark options, or `None` for the native engine; refuses Spark
    /// flags without `--engine spark`, and an unknown engine.
    pub fn spark(&self) -> Result<Option<SparkOptions>> {
        match self.engine.as_str() {
            "native" => {
                let stray = [
                    self.master.as_ref().map(|_| "--master"),
                    (!self.conf.is_empty()).then_some("--conf"),
                    self.spark_submit.as_ref().map(|_| "--spark-submit"),
                    self.posts.as_ref().map(|_| "--posts"),
                ];
                if let Some(flag) = stray.into_iter().flatten().next() {
                    bail!("{flag} is for --engine spark; the native engine reads the case on this machine");
                }
                Ok(None)
            }
            "spark" => {
                let mut conf = Vec::new();
                for c in &self.conf {
                    let (k, v) = c
                        .split_once('=')
                        .filter(|(k, _)| !k.trim().is_empty())
                        .with_context(|| format!("--conf {c:?}: write KEY=VALUE, e.g. spark.executor.memory=8g"))?;
                    conf.push((k.trim().to_string(), v.to_string()));
                }
                Ok(Some(SparkOptions {
                    master: self.master.clone(),
                    conf,
                    spark_submit: self.spark_submit.clone(),
                    posts: self.posts.clone(),
                }))
            }
            other => bail!("unknown --engine {other:?}; use native or spark"),
        }
    }

    /// Refuse, before any work, parameters the chosen engine cannot honour.
    pub fn check(&self, params: &Params) -> Result<()> {
        if self.spark()?.is_some() {
            leaktrace_coord::spark::refuse_native_only(params)?;
        }
        Ok(())
    }

    /// Compute the networks of `params` with the chosen engine. Spark's
    /// progress lines go to a spinner on stderr unless `quiet`.
    pub fn compute(&self, case: &Case, params: &Params, quiet: bool) -> Result<CoordResult> {
        let Some(opts) = self.spark()? else { return Ok(compute(case, params)?) };
        // Fail before any work when there is no Spark or no Java.
        leaktrace_coord::spark::locate(opts.spark_submit.as_deref())?;
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            b.set_style(ProgressStyle::with_template("{spinner} spark {elapsed} {msg}").expect("valid template"));
            b.enable_steady_tick(Duration::from_millis(200));
            b
        };
        let r = leaktrace_coord::spark::compute(case, params, &opts, &mut |msg| bar.set_message(msg.to_string()));
        bar.finish_and_clear();
        Ok(r?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        net: NetworkArgs,
        #[command(flatten)]
        engine: EngineArgs,
    }

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("x").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn every_network_flag_reaches_the_parameters() {
        let c = parse(&[
            "--network",
            "co-similar-text,sync",
            "--window",
            "10m",
            "--min-weight",
            "3",
            "--similarity",
            "0.9",
            "--min-tokens",
            "7",
            "--sync-p",
            "0.01",
            "--image-distance",
            "3",
            "--no-evidence",
        ]);
        let p = c.net.params().unwrap();
        assert_eq!(p.networks, [Network::CoSimilarText, Network::Sync]);
        assert_eq!((p.window_ms, p.min_weight, p.similarity, p.min_tokens, p.sync_max_p), (600_000, 3, 0.9, 7, 0.01));
        assert!(!p.evidence);
        assert_eq!(p.image_distance, 3);
        assert!(parse(&["--network", "co-image", "--window", "60", "--image-distance", "17"]).net.params().is_err());
        let q = parse(&["--network", "co-tweet", "--window", "60", "--compat", "qut"]).net.params().unwrap();
        assert_eq!((q.compat, q.min_tokens), (Some(Compat::Qut), 1));
        assert!(parse(&["--network", "co-link"]).net.params().is_err(), "no window");
        assert!(parse(&["--window", "60"]).net.params().is_err(), "no network");
    }

    #[test]
    fn spark_flags_need_the_spark_engine() {
        assert!(parse(&[]).engine.spark().unwrap().is_none());
        let e = parse(&["--master", "local[2]"]).engine.spark().unwrap_err().to_string();
        assert!(e.contains("--master is for --engine spark"), "{e}");
        let s = parse(&["--engine", "spark", "--master", "local[2]", "--conf", "spark.a=b=c", "--posts", "s3a://b/p"])
            .engine
            .spark()
            .unwrap()
            .unwrap();
        assert_eq!(s.master.as_deref(), Some("local[2]"));
        assert_eq!(s.conf, [("spark.a".to_string(), "b=c".to_string())]);
        assert_eq!(s.posts.as_deref(), Some("s3a://b/p"));
        assert!(parse(&["--engine", "spark", "--conf", "novalue"]).engine.spark().is_err());
        assert!(parse(&["--engine", "flink"]).engine.spark().is_err());
    }
}
