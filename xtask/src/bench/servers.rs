//! The servers of the benchmark: built in release, started on free loopback ports
//! with their settings files, and stopped when dropped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::Script;
use crate::process::{self, command, free_port, Server};
use crate::{redis, settings};

/// The servers of the benchmark, by the name the runs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    Baseline,
    /// The control: a second, identical baseline. Its ratio to the first is 1 but for
    /// the machine's noise, which it measures in the same run as the others.
    Baseline2,
    Demo,
    /// The body-size runs get a demo process of their own: the memory that 1 MB bodies
    /// take stays with the process, and would otherwise show as the main demo's peak.
    BodyDemo,
    RedisDemo,
    SafeDemo,
}

/// Every server of the benchmark, a private redis-server, and the wrk scripts.
pub struct Servers {
    by_target: BTreeMap<Target, Server>,
    pub redis: Server,
    pub scripts: Scripts,
    /// The body examples/safe encrypted for itself (`POST /decode_echo`).
    pub safe_echo_body: String,
}

impl Servers {
    /// Builds the demo, the baseline and the safe example, and starts them.
    pub fn start(work: &Path) -> Result<Servers> {
        println!("== building the demo, the baseline and the safe example (release)");
        let demo_bin = process::build(&["--release", "--quiet", "--example", "demo"], "demo")?;
        let baseline_bin = process::build(
            &["--release", "--quiet", "-p", "apiview-tools", "--bin", "baseline"],
            "baseline",
        )?;
        // Apart, so that the `client` feature (reqwest) does not change the demo's build.
        let safe_bin = process::build(
            &[
                "--release",
                "--quiet",
                "--features",
                "client",
                "--example",
                "safe",
            ],
            "safe",
        )?;

        let repo_settings = std::fs::read_to_string("apiview.toml").context("reading apiview.toml")?;
        let memory_settings = work.join("memory.toml");
        std::fs::write(
            &memory_settings,
            settings::with_cache_backend(&repo_settings, "memory://"),
        )?;
        let scripts = Scripts::write(work)?;

        let redis = redis::start_private(work)?;
        let redis_settings = work.join("redis.toml");
        let redis_url = format!("redis://127.0.0.1:{}/0", redis.port);
        std::fs::write(
            &redis_settings,
            settings::with_cache_backend(&repo_settings, &redis_url),
        )?;

        let mut servers = BTreeMap::new();
        let baseline = |name: &str| -> Result<Server> {
            let port = free_port()?;
            let mut server = command(&baseline_bin);
            server.args(["--addr", &format!("127.0.0.1:{port}")]);
            Server::start(name, port, server, &work.join(format!("{name}.log")))
        };
        servers.insert(Target::Baseline, baseline("baseline")?);
        servers.insert(Target::Baseline2, baseline("baseline_2")?);
        let demo = |name: &str, settings: &Path| -> Result<Server> {
            let port = free_port()?;
            let mut server = command(&demo_bin);
            server
                .env("APIVIEW_SETTINGS", settings)
                .env("APIVIEW_PACKER", "simple")
                .env("RUST_LOG", "warn")
                .args(["--addr", &format!("127.0.0.1:{port}")]);
            Server::start(name, port, server, &work.join(format!("{name}.log")))
        };
        servers.insert(Target::Demo, demo("demo", &memory_settings)?);
        servers.insert(Target::BodyDemo, demo("body_demo", &memory_settings)?);
        servers.insert(Target::RedisDemo, demo("redis_demo", &redis_settings)?);

        // Where examples/safe keeps its throw-away keys and writes echo-body.json (relative
        // to its working directory, the repository, whatever CARGO_TARGET_DIR says).
        let echo_body_file = Path::new("target/safe-demo-keys/echo-body.json");
        let _ = std::fs::remove_file(echo_body_file);
        let port = free_port()?;
        let mut safe = command(&safe_bin);
        safe.args(["--serve", &format!("127.0.0.1:{port}")]);
        let mut safe = Server::start("safe_demo", port, safe, &work.join("safe_demo.log"))?;
        // It listens, then checks that echo-body.json decrypts to the message (not to an
        // encrypted error, which the benchmark would otherwise measure), then says so.
        safe.wait_for_line("safe server on ", Duration::from_secs(10))
            .context("the safe example did not check its echo body")?;
        servers.insert(Target::SafeDemo, safe);
        let safe_echo_body = std::fs::read_to_string(echo_body_file)
            .with_context(|| format!("reading {}", echo_body_file.display()))?;
        let scripts = scripts.with_safe_echo(work, &safe_echo_body)?;
        Ok(Servers {
            by_target: servers,
            redis,
            scripts,
            safe_echo_body,
        })
    }

    pub fn port(&self, target: Target) -> u16 {
        self.by_target[&target].port
    }

    pub fn get_mut(&mut self, target: Target) -> &mut Server {
        self.by_target.get_mut(&target).expect("every target is started")
    }
}

/// The Lua scripts wrk runs, written once into the scratch directory.
pub struct Scripts {
    echo: PathBuf,
    bodies: BTreeMap<usize, PathBuf>,
    safe_echo: Option<PathBuf>,
}

impl Scripts {
    fn write(dir: &Path) -> Result<Scripts> {
        let echo = dir.join("echo.lua");
        std::fs::write(&echo, post_script("'{\"msg\":\"hello, benchmark\"}'"))?;
        // POST /body (the whole JSON body, parsed, answered back) with bodies of 1 kB,
        // 64 kB and 1 MB: how the cost grows with body size. (/echo refuses a msg over
        // 4096 chars.)
        let mut bodies = BTreeMap::new();
        for size in [1024, 65536, 1048576] {
            let path = dir.join(format!("body_{size}.lua"));
            let body = format!(
                "'{{\"name\":\"' .. string.rep(\"x\", {}) .. '\",\"age\":3}}'",
                size - 20
            );
            std::fs::write(&path, post_script(&body))?;
            bodies.insert(size, path);
        }
        Ok(Scripts {
            echo,
            bodies,
            safe_echo: None,
        })
    }

    /// Adds the script that posts the safe example's encrypted body.
    fn with_safe_echo(mut self, dir: &Path, body: &str) -> Result<Scripts> {
        if body.contains("]]") || body.contains('\n') {
            bail!("target/safe-demo-keys/echo-body.json does not fit a Lua long string");
        }
        let path = dir.join("safe_echo.lua");
        std::fs::write(&path, post_script(&format!("[[{body}]]")))?;
        self.safe_echo = Some(path);
        Ok(self)
    }

    pub fn path(&self, script: Script) -> Option<&Path> {
        match script {
            Script::Get => None,
            Script::Echo => Some(&self.echo),
            Script::Body(size) => self.bodies.get(&size).map(PathBuf::as_path),
            Script::SafeEcho => self.safe_echo.as_deref(),
        }
    }
}

/// A wrk script that POSTs `body` (a Lua expression) as JSON.
fn post_script(body: &str) -> String {
    format!(
        "wrk.method = \"POST\"\nwrk.body = {body}\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
    )
}
