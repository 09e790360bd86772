//! What a private PostgreSQL needs of this machine, for the tests
//! (`tests/common/postgres.rs`) and the benchmark (`xtask/src/postgres.rs`, which
//! includes this file by `#[path]`): where its programs are, the user they run as when
//! this process is root, and signals to its processes. Only `std` and `libc`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The directory of initdb, postgres and psql: `$PG_BIN`, else `pg_config --bindir`,
/// else the highest `/usr/lib/postgresql/<version>/bin` (Debian keeps them off the
/// PATH), else where a link on the PATH leads; `Err` says what to install.
pub fn find_bin_dir() -> Result<PathBuf, String> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(dir) = std::env::var_os("PG_BIN").filter(|dir| !dir.is_empty()) {
        let dir = PathBuf::from(dir);
        if has_server(&dir) {
            return Ok(dir);
        }
        return Err(format!(
            "PG_BIN is {} but initdb and postgres are not there",
            dir.display()
        ));
    }
    // libpq-dev's pg_config may name a version whose server is not installed.
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if output.status.success() && has_server(&dir) {
            return Ok(dir);
        }
    }
    let highest = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version: Vec<u32> = entry
                .file_name()
                .to_str()?
                .split('.')
                .map(|part| part.parse().ok())
                .collect::<Option<_>>()?;
            let dir = entry.path().join("bin");
            has_server(&dir).then_some((version, dir))
        })
        .max();
    if let Some((_, dir)) = highest {
        return Ok(dir);
    }
    // A link on the PATH (to initdb alone, say) leads to the directory with the rest.
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .filter_map(|dir| std::fs::canonicalize(dir.join("initdb")).ok())
            .filter_map(|initdb| initdb.parent().map(Path::to_owned))
            .find(|dir| has_server(dir))
    });
    on_path.ok_or_else(|| {
        "PostgreSQL's initdb and postgres were found neither through PG_BIN, pg_config, \
         /usr/lib/postgresql/*/bin nor the PATH: run scripts/test.sh (or scripts/bench.sh), \
         which installs them (Debian: apt-get install postgresql), or set PG_BIN to their \
         directory"
            .to_owned()
    })
}

/// The user initdb and postgres run as when this process is root, which they refuse.
pub struct RunAs {
    pub name: &'static str,
    pub uid: u32,
    pub gid: u32,
}

/// `Ok(None)` when this process is not root: then the programs run as this process
/// does. As root, `postgres` (which Debian's package creates), else `nobody`.
pub fn run_as() -> Result<Option<RunAs>, String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let user = |name: &'static str| {
        passwd.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.first() != Some(&name) || fields.len() < 4 {
                return None;
            }
            Some(RunAs {
                name,
                uid: fields[2].parse().ok()?,
                gid: fields[3].parse().ok()?,
            })
        })
    };
    match user("postgres").or_else(|| user("nobody")) {
        Some(user) => Ok(Some(user)),
        None => Err(
            "running as root, which initdb and postgres refuse, and /etc/passwd has \
                     neither a postgres nor a nobody user to run them as"
                .to_owned(),
        ),
    }
}

/// The children of `pid` (the postmaster is single-threaded).
pub fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|child| child.parse().ok())
        .collect()
}

pub fn signal(pid: u32, number: libc::c_int) {
    // SAFETY: kill(2) has no memory-safety preconditions. `pid` is the postmaster, not
    // reaped yet, or a child it had a moment ago.
    unsafe { libc::kill(pid as libc::pid_t, number) };
}

/// Polls `done` every 20 ms; whether it held within `limit`.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
