//! What a Redis cache URL names: one server (`redis://`), a Redis Cluster
//! (`redis+cluster://h1:p1,h2:p2/`) or a master watched by Sentinels
//! (`redis+sentinel://h1:p1,h2:p2/service/db`). Settings validation and the cache
//! backend read URLs with this one parser, so a URL that loads is one the backend can
//! open.

use redis::ConnectionAddr;

/// A parsed Redis cache URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// One server: the URL as the redis crate reads it.
    Single(String),
    /// A Redis Cluster: `redis://` URLs of the nodes to learn the cluster from.
    Cluster(Vec<String>),
    /// A master found through Sentinels.
    Sentinel(SentinelTarget),
}

/// The parts of a `redis+sentinel://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SentinelTarget {
    pub(crate) sentinels: Vec<(String, u16)>,
    pub(crate) service: String,
    pub(crate) db: i64,
    /// `user:password` written before the hosts, for the Redis servers (not the
    /// Sentinels).
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
}

impl SentinelTarget {
    pub(crate) fn addresses(&self) -> Vec<ConnectionAddr> {
        self.sentinels
            .iter()
            .map(|(host, port)| ConnectionAddr::Tcp(host.clone(), *port))
            .collect()
    }
}

const CLUSTER: &str = "redis+cluster://";
const SENTINEL: &str = "redis+sentinel://";

impl Target {
    /// Reads a cache URL that is not `memory://`; the problem, in words that say what
    /// to write instead, when it is not a Redis URL.
    ///
    /// ```ignore
    /// let target = Target::parse("redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/main/2")?;
    /// ```
    pub(crate) fn parse(url: &str) -> Result<Target, String> {
        if let Some(rest) = url.strip_prefix(CLUSTER) {
            return parse_cluster(url, rest);
        }
        if let Some(rest) = url.strip_prefix(SENTINEL) {
            return parse_sentinel(url, rest).map(Target::Sentinel);
        }
        let known = ["redis://", "rediss://", "redis+unix://", "unix://"];
        if !known.iter().any(|scheme| url.starts_with(scheme)) {
            return Err(format!(
                "`{url}` is not a cache URL; use \"memory://\", \"redis://host:port/db\", \
                 \"redis+cluster://host:port,host:port/\" or \"redis+sentinel://host:port/master/db\""
            ));
        }
        redis::Client::open(url)
            .map(|_| Target::Single(url.to_owned()))
            .map_err(|err| format!("`{url}` is not a valid Redis URL: {err}"))
    }
}

/// `user:password@` before the hosts, split off.
fn credentials(rest: &str) -> (Option<&str>, &str) {
    match rest.rsplit_once('@') {
        Some((credentials, hosts)) => (Some(credentials), hosts),
        None => (None, rest),
    }
}

/// `h1:p1,h2:p2` as host and port pairs, each named in the problem when it is not one.
fn hosts(url: &str, list: &str, default_port: u16) -> Result<Vec<(String, u16)>, String> {
    let mut hosts = Vec::new();
    for entry in list.split(',') {
        let entry = entry.trim();
        let (host, port) = match entry.rsplit_once(':') {
            Some((host, port)) => {
                let port = port.parse::<u16>().map_err(|_| {
                    format!("`{url}`: `{entry}` has no valid port; write host:port, such as 127.0.0.1:7000")
                })?;
                (host, port)
            }
            None => (entry, default_port),
        };
        if host.is_empty() {
            return Err(format!(
                "`{url}` names no host; write host:port pairs separated by commas"
            ));
        }
        hosts.push((host.to_owned(), port));
    }
    Ok(hosts)
}

fn parse_cluster(url: &str, rest: &str) -> Result<Target, String> {
    let (list, path) = rest.split_once('/').unwrap_or((rest, ""));
    if !matches!(path, "" | "0") {
        return Err(format!(
            "`{url}`: a Redis Cluster has only database 0; end the URL with `/` (not `/{path}`)"
        ));
    }
    let (credentials, list) = credentials(list);
    let nodes = hosts(url, list, 6379)?
        .into_iter()
        .map(|(host, port)| match credentials {
            Some(credentials) => format!("redis://{credentials}@{host}:{port}"),
            None => format!("redis://{host}:{port}"),
        })
        .collect::<Vec<_>>();
    for node in &nodes {
        redis::Client::open(node.as_str())
            .map_err(|err| format!("`{url}` is not a valid Redis Cluster URL: {err}"))?;
    }
    Ok(Target::Cluster(nodes))
}

fn parse_sentinel(url: &str, rest: &str) -> Result<SentinelTarget, String> {
    let shape = "write redis+sentinel://host:port,host:port/MASTER-NAME/DB";
    let mut parts = rest.splitn(3, '/');
    let list = parts.next().unwrap_or_default();
    let service = parts.next().unwrap_or_default();
    if service.is_empty() {
        return Err(format!(
            "`{url}` names no master; {shape} (the name Sentinel monitors)"
        ));
    }
    let db = match parts.next().unwrap_or_default() {
        "" => 0,
        db => db
            .parse::<i64>()
            .map_err(|_| format!("`{url}`: `{db}` is not a database number; {shape}"))?,
    };
    let (credentials, list) = credentials(list);
    let (username, password) = match credentials.map(|c| c.split_once(':').unwrap_or(("", c))) {
        Some((user, password)) => (
            (!user.is_empty()).then(|| user.to_owned()),
            (!password.is_empty()).then(|| password.to_owned()),
        ),
        None => (None, None),
    };
    Ok(SentinelTarget {
        sentinels: hosts(url, list, 26379)?,
        service: service.to_owned(),
        db,
        username,
        password,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_urls_list_their_nodes() {
        assert_eq!(
            Target::parse("redis+cluster://127.0.0.1:7000,127.0.0.1:7001/").unwrap(),
            Target::Cluster(vec![
                "redis://127.0.0.1:7000".into(),
                "redis://127.0.0.1:7001".into()
            ])
        );
        assert_eq!(
            Target::parse("redis+cluster://:secret@h:7000").unwrap(),
            Target::Cluster(vec!["redis://:secret@h:7000".into()])
        );
        let db = Target::parse("redis+cluster://h:7000/3").unwrap_err();
        assert!(db.contains("only database 0"), "{db}");
        let port = Target::parse("redis+cluster://h:x/").unwrap_err();
        assert!(port.contains("`h:x` has no valid port"), "{port}");
    }

    #[test]
    fn sentinel_urls_name_master_and_db() {
        let Target::Sentinel(target) =
            Target::parse("redis+sentinel://user:pw@10.0.0.1:26379,10.0.0.2/main/2").unwrap()
        else {
            panic!("not a sentinel target");
        };
        assert_eq!(
            target.sentinels,
            vec![("10.0.0.1".into(), 26379), ("10.0.0.2".into(), 26379)]
        );
        assert_eq!((target.service.as_str(), target.db), ("main", 2));
        assert_eq!(target.username.as_deref(), Some("user"));
        assert_eq!(target.password.as_deref(), Some("pw"));
        let nameless = Target::parse("redis+sentinel://h:26379/").unwrap_err();
        assert!(nameless.contains("names no master"), "{nameless}");
    }

    #[test]
    fn other_schemes_are_refused_with_the_choices() {
        let problem = Target::parse("http://h").unwrap_err();
        assert!(problem.contains("redis+cluster://"), "{problem}");
        assert_eq!(
            Target::parse("redis://h:1/0").unwrap(),
            Target::Single("redis://h:1/0".into())
        );
    }
}
