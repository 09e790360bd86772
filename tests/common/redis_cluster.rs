//! A real Redis Cluster ([`RedisCluster`]) and a real Sentinel set
//! ([`RedisSentinelSet`]) per test, made of `redis-server` processes on free loopback
//! ports (tests/common/redis.rs), for the `redis+cluster://` and `redis+sentinel://`
//! cache backends. A test kills a master and measures how long the survivors take to
//! promote its replica.
//!
//! Both wait for replication before they return: a replica promoted before it synced
//! would come up empty, and a failover test would then fail on the data, not on the
//! backend. The waits are bounded and their panics say what was not ready and end with
//! the servers' logs.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use redis::FromRedisValue;

use super::redis::{Options, RedisServer};

/// How long a new cluster or sentinel set may take to be ready, or a cluster to settle
/// after a node is started again.
const READY_WITHIN: Duration = Duration::from_secs(30);

/// How long one command to one node may take.
const ASK_WITHIN: Duration = Duration::from_secs(1);

/// How often the waits look again.
const POLL: Duration = Duration::from_millis(50);

/// The hash slots of a cluster.
const SLOTS: u16 = 16384;

/// The name under which the sentinels watch the master.
pub const SENTINEL_SERVICE: &str = "apiview";

/// Lines of each server's log in a panic message.
const LOG_LINES: usize = 8;

/// A Redis Cluster of masters and their replicas; every node is killed when dropped.
pub struct RedisCluster {
    /// The masters as started, then the replicas: replica `k` follows master
    /// `k % masters`.
    nodes: Vec<RedisServer>,
    masters: usize,
}

/// The master [`RedisCluster::kill_master_of`] killed.
#[derive(Clone, Copy, Debug)]
pub struct KilledMaster {
    pub port: u16,
    /// The slot of the key it was killed for.
    pub slot: u16,
    /// When it was killed.
    pub at: Instant,
}

/// One line of `CLUSTER NODES`: how one node sees another (or itself).
#[derive(Debug)]
struct Peer {
    id: String,
    port: u16,
    flags: Vec<String>,
    /// The id of its master, for a replica.
    master_id: Option<String>,
    connected: bool,
    /// Inclusive ranges.
    slots: Vec<(u16, u16)>,
}

impl RedisCluster {
    /// Starts `masters * (1 + replicas_per_master)` nodes, gives the masters equal
    /// shares of the slots, joins them and waits until every node reports the cluster
    /// ok, every node sees every other as it is, and every replica's link to its master
    /// is up.
    pub async fn start(masters: usize, replicas_per_master: usize) -> RedisCluster {
        assert!(masters > 0, "a cluster needs at least one master");
        let mut nodes = Vec::new();
        for _ in 0..masters * (1 + replicas_per_master) {
            nodes.push(RedisServer::start_with_options(node_options()).await);
        }
        let cluster = RedisCluster { nodes, masters };
        cluster.assign_slots().await;
        cluster.meet().await;
        cluster
            .wait("every node to know every other", READY_WITHIN, || {
                cluster.all_met()
            })
            .await;
        cluster.replicate().await;
        cluster.wait_until_settled(READY_WITHIN).await;
        cluster
    }

    /// `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,../`: the nodes started as masters.
    pub fn url(&self) -> String {
        let seeds: Vec<String> = self
            .master_ports()
            .iter()
            .map(|port| format!("127.0.0.1:{port}"))
            .collect();
        format!("redis+cluster://{}/", seeds.join(","))
    }

    /// `redis://127.0.0.1:P` of every node, running or not.
    pub fn node_urls(&self) -> Vec<String> {
        self.ports()
            .iter()
            .map(|port| format!("redis://127.0.0.1:{port}"))
            .collect()
    }

    /// The ports of the nodes started as masters (after a failover one of them may be
    /// down, or a replica).
    pub fn master_ports(&self) -> Vec<u16> {
        self.nodes[..self.masters].iter().map(RedisServer::port).collect()
    }

    /// The ports of every node, running or not: the masters as started, then the
    /// replicas.
    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(RedisServer::port).collect()
    }

    /// The node on `port`, to pause it or read its log.
    pub fn node(&self, port: u16) -> &RedisServer {
        self.nodes
            .iter()
            .find(|node| node.port() == port)
            .unwrap_or_else(|| panic!("no node of this cluster is on port {port}"))
    }

    /// A cluster client of the test's own, seeded with the running nodes.
    pub async fn connection(&self) -> redis::cluster_async::ClusterConnection {
        let seeds: Vec<String> = self
            .running()
            .map(|node| format!("redis://127.0.0.1:{}", node.port()))
            .collect();
        redis::cluster::ClusterClient::new(seeds)
            .expect("node URLs")
            .get_async_connection()
            .await
            .unwrap_or_else(|err| panic!("cannot connect to the test's cluster: {err}"))
    }

    /// The slot of `key`, as the cluster computes it.
    pub async fn slot_of(&self, key: &str) -> u16 {
        let port = self.any_running_port();
        ask(port, &["CLUSTER", "KEYSLOT", key])
            .await
            .unwrap_or_else(|problem| panic!("cannot ask the slot of {key:?}: {problem}"))
    }

    /// Kills (SIGKILL) the master that owns `key`'s slot. The caller measures the
    /// failover with [`RedisCluster::wait_for_promotion`].
    pub async fn kill_master_of(&mut self, key: &str) -> KilledMaster {
        let slot = self.slot_of(key).await;
        let port = self.any_running_port();
        let view = view(port)
            .await
            .unwrap_or_else(|problem| panic!("cannot ask who owns slot {slot}: {problem}"));
        let owner = view
            .iter()
            .find(|peer| peer.is_master() && peer.owns(slot))
            .unwrap_or_else(|| panic!("node {port} knows no master of slot {slot}: {view:?}"));
        let node = self
            .nodes
            .iter_mut()
            .find(|node| node.port() == owner.port && node.is_running())
            .unwrap_or_else(|| {
                panic!(
                    "node {port} says slot {slot} is on {}, not a running node of this cluster",
                    owner.port
                )
            });
        node.stop();
        KilledMaster {
            port: owner.port,
            slot,
            at: Instant::now(),
        }
    }

    /// Waits until every running node reports the cluster ok and names a running,
    /// healthy master of `key`'s slot; how long that took from the call (call it right
    /// after [`RedisCluster::kill_master_of`], or measure from [`KilledMaster::at`]).
    pub async fn wait_for_promotion(&self, key: &str, within: Duration) -> Duration {
        let started = Instant::now();
        let slot = self.slot_of(key).await;
        self.wait(
            &format!("a running master of slot {slot} (key {key:?})"),
            within,
            || self.promoted(slot),
        )
        .await;
        started.elapsed()
    }

    /// Starts the killed node on `port` again (empty, with the cluster state it had)
    /// and waits until the cluster has settled: the node rejoins as a replica of the
    /// master that replaced it, and syncs. How long settling took.
    pub async fn restart(&mut self, port: u16) -> Duration {
        let node = self
            .nodes
            .iter_mut()
            .find(|node| node.port() == port)
            .unwrap_or_else(|| panic!("no node of this cluster is on port {port}"));
        node.start_again().await;
        self.wait_until_settled(READY_WITHIN).await
    }

    /// Waits until every running node reports the cluster ok with every slot served,
    /// sees every other running node as that node sees itself, no slot is on a node
    /// that is down, and every running replica's link to its master is up; how long
    /// that took.
    pub async fn wait_until_settled(&self, within: Duration) -> Duration {
        let started = Instant::now();
        self.wait("the cluster to settle", within, || self.settled())
            .await;
        started.elapsed()
    }

    /// One share of the slots to each master, and distinct config epochs, which
    /// `redis-cli --cluster create` sets too: the nodes need not resolve collisions.
    async fn assign_slots(&self) {
        for (index, master) in self.nodes[..self.masters].iter().enumerate() {
            let (first, last) = slot_share(index, self.masters);
            let (first, last, epoch) = (first.to_string(), last.to_string(), (index + 1).to_string());
            tell(master.port(), &["CLUSTER", "ADDSLOTSRANGE", &first, &last]).await;
            tell(master.port(), &["CLUSTER", "SET-CONFIG-EPOCH", &epoch]).await;
        }
    }

    /// Introduces every node to the first; gossip does the rest.
    async fn meet(&self) {
        let first = &self.nodes[0];
        let (port, bus) = (first.port().to_string(), bus_port(first).to_string());
        for node in &self.nodes[1..] {
            tell(node.port(), &["CLUSTER", "MEET", "127.0.0.1", &port, &bus]).await;
        }
    }

    /// Makes replica `k` follow master `k % masters` (a replica must know its master:
    /// after [`RedisCluster::all_met`]).
    async fn replicate(&self) {
        for (index, replica) in self.nodes[self.masters..].iter().enumerate() {
            let master = &self.nodes[index % self.masters];
            let id: String = ask(master.port(), &["CLUSTER", "MYID"])
                .await
                .unwrap_or_else(|problem| panic!("{problem}"));
            tell(replica.port(), &["CLUSTER", "REPLICATE", &id]).await;
        }
    }

    /// Whether every node sees all the others, healthy.
    async fn all_met(&self) -> Result<(), String> {
        for node in &self.nodes {
            let view = view(node.port()).await?;
            if view.len() != self.nodes.len() {
                return Err(format!(
                    "node {} knows {} nodes of {}",
                    node.port(),
                    view.len(),
                    self.nodes.len()
                ));
            }
            if let Some(peer) = view.iter().find(|peer| !peer.healthy()) {
                return Err(format!("node {} sees {peer:?}", node.port()));
            }
        }
        Ok(())
    }

    /// See [`RedisCluster::wait_until_settled`].
    async fn settled(&self) -> Result<(), String> {
        let running: Vec<u16> = self.running().map(RedisServer::port).collect();
        let mut views = Vec::new();
        for &port in &running {
            cluster_ok(port).await?;
            views.push((port, view(port).await?));
        }
        let selves: Vec<&Peer> = views
            .iter()
            .map(|(port, view)| myself(*port, view))
            .collect::<Result<_, _>>()?;
        for (port, view) in &views {
            for node in &selves {
                agrees(*port, view, node)?;
            }
            if let Some(peer) = view
                .iter()
                .find(|peer| !peer.slots.is_empty() && !running.contains(&peer.port))
            {
                return Err(format!("node {port} sees slots on {}, which is down", peer.port));
            }
        }
        for replica in selves.iter().filter(|node| !node.is_master()) {
            let info: String = ask(replica.port, &["INFO", "replication"]).await?;
            expect_field(replica.port, &info, "master_link_status", "up")?;
        }
        Ok(())
    }

    /// Whether every running node reports the cluster ok and a running, healthy master
    /// of `slot`.
    async fn promoted(&self, slot: u16) -> Result<(), String> {
        let running: Vec<u16> = self.running().map(RedisServer::port).collect();
        for &port in &running {
            cluster_ok(port).await?;
            let view = view(port).await?;
            let owner = view
                .iter()
                .find(|peer| peer.is_master() && peer.owns(slot))
                .ok_or_else(|| format!("node {port} knows no master of slot {slot}"))?;
            if !running.contains(&owner.port) || !owner.healthy() {
                return Err(format!("node {port} sees slot {slot} on {owner:?}"));
            }
        }
        Ok(())
    }

    /// Polls `check`; panics after `within` with its last problem and the logs.
    async fn wait<T, F, Fut>(&self, what: &str, within: Duration, check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, String>>,
    {
        settle(what, within, self.nodes.iter().collect(), check).await
    }

    fn running(&self) -> impl Iterator<Item = &RedisServer> {
        self.nodes.iter().filter(|node| node.is_running())
    }

    fn any_running_port(&self) -> u16 {
        self.running()
            .next()
            .map(RedisServer::port)
            .expect("every node of the cluster is down")
    }
}

/// A master, its replica and three sentinels watching them under
/// [`SENTINEL_SERVICE`], with a quorum of two; every server is killed when dropped.
pub struct RedisSentinelSet {
    /// The master as started, then its replica.
    data: Vec<RedisServer>,
    sentinels: Vec<RedisServer>,
    /// The port of the master, as the sentinels last named it.
    master: AtomicU16,
}

impl RedisSentinelSet {
    /// Starts the master, the replica and the sentinels, and waits until every
    /// sentinel sees the master up, its replica synced and the other sentinels, and
    /// the replica's link is up.
    pub async fn start() -> RedisSentinelSet {
        let master = RedisServer::start_with_options(data_options(None)).await;
        let replica = RedisServer::start_with_options(data_options(Some(master.port()))).await;
        let config = sentinel_config(master.port());
        let mut sentinels = Vec::new();
        for _ in 0..3 {
            sentinels.push(
                RedisServer::start_with_options(Options {
                    config: Some(config.clone()),
                    args: vec!["--sentinel".to_owned()],
                    ..Options::default()
                })
                .await,
            );
        }
        let set = RedisSentinelSet {
            master: AtomicU16::new(master.port()),
            data: vec![master, replica],
            sentinels,
        };
        set.wait(
            "every sentinel to watch the master, its replica and the others",
            READY_WITHIN,
            || set.watching(),
        )
        .await;
        set
    }

    /// `redis+sentinel://127.0.0.1:S1,127.0.0.1:S2,127.0.0.1:S3/apiview/0`.
    pub fn url(&self) -> String {
        let sentinels: Vec<String> = self
            .sentinel_ports()
            .iter()
            .map(|port| format!("127.0.0.1:{port}"))
            .collect();
        format!("redis+sentinel://{}/{SENTINEL_SERVICE}/0", sentinels.join(","))
    }

    /// The master's port, as the sentinels named it at the start or after the last
    /// [`RedisSentinelSet::wait_for_failover`].
    pub fn master_port(&self) -> u16 {
        self.master.load(Ordering::SeqCst)
    }

    /// The ports of the master as started and of its replica.
    pub fn data_ports(&self) -> Vec<u16> {
        self.data.iter().map(RedisServer::port).collect()
    }

    pub fn sentinel_ports(&self) -> Vec<u16> {
        self.sentinels.iter().map(RedisServer::port).collect()
    }

    /// A client connection of the test's own to the master
    /// ([`RedisSentinelSet::master_port`]).
    pub async fn master_connection(&self) -> redis::aio::MultiplexedConnection {
        self.data_node(self.master_port()).connection().await
    }

    /// Kills (SIGKILL) the master; its port.
    pub async fn kill_master(&mut self) -> u16 {
        let port = self.master_port();
        let node = self
            .data
            .iter_mut()
            .find(|node| node.port() == port && node.is_running())
            .unwrap_or_else(|| panic!("the master on port {port} is already down"));
        node.stop();
        port
    }

    /// Waits until every sentinel names another master than
    /// [`RedisSentinelSet::master_port`], and that node says it is a master; how long
    /// that took. The new master is then [`RedisSentinelSet::master_port`].
    pub async fn wait_for_failover(&self, within: Duration) -> Duration {
        let started = Instant::now();
        let old = self.master_port();
        let new = self
            .wait(
                &format!("the sentinels to name a new master instead of {old}"),
                within,
                || self.failed_over(old),
            )
            .await;
        self.master.store(new, Ordering::SeqCst);
        started.elapsed()
    }

    /// See [`RedisSentinelSet::start`].
    async fn watching(&self) -> Result<(), String> {
        let others = self.sentinels.len() - 1;
        for sentinel in &self.sentinels {
            let port = sentinel.port();
            let master: HashMap<String, String> =
                ask(port, &["SENTINEL", "MASTER", SENTINEL_SERVICE]).await?;
            expect_entry(port, &master, "flags", |flags| flags == "master")?;
            expect_entry(port, &master, "num-other-sentinels", |count| {
                count.parse::<usize>().is_ok_and(|count| count >= others)
            })?;
            let replicas: Vec<HashMap<String, String>> =
                ask(port, &["SENTINEL", "REPLICAS", SENTINEL_SERVICE]).await?;
            let synced = replicas.iter().any(|replica| {
                replica.get("flags").is_some_and(|flags| flags == "slave")
                    && replica
                        .get("master-link-status")
                        .is_some_and(|status| status == "ok")
            });
            if !synced {
                return Err(format!("sentinel {port} sees no synced replica: {replicas:?}"));
            }
        }
        let replica = self.data[1].port();
        let info: String = ask(replica, &["INFO", "replication"]).await?;
        expect_field(replica, &info, "master_link_status", "up")
    }

    /// The port every running sentinel names as the master, when it is not `old` and
    /// the node there says it is a master.
    async fn failed_over(&self, old: u16) -> Result<u16, String> {
        let mut named = Vec::new();
        for sentinel in self.sentinels.iter().filter(|sentinel| sentinel.is_running()) {
            let port = sentinel.port();
            let address: (String, u16) =
                ask(port, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", SENTINEL_SERVICE]).await?;
            named.push(address.1);
        }
        let Some(&new) = named.first() else {
            return Err("no sentinel runs".to_owned());
        };
        if new == old || named.iter().any(|port| *port != new) {
            return Err(format!("the sentinels name {named:?} (the old master is {old})"));
        }
        let info: String = ask(new, &["INFO", "replication"]).await?;
        expect_field(new, &info, "role", "master")?;
        Ok(new)
    }

    fn data_node(&self, port: u16) -> &RedisServer {
        self.data
            .iter()
            .find(|node| node.port() == port)
            .unwrap_or_else(|| panic!("the sentinels name {port}, which is none of this set's servers"))
    }

    /// Polls `check`; panics after `within` with its last problem and the logs.
    async fn wait<T, F, Fut>(&self, what: &str, within: Duration, check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, String>>,
    {
        let servers = self.data.iter().chain(&self.sentinels).collect();
        settle(what, within, servers, check).await
    }
}

/// The options of a cluster node: failure noticed after a second, any replica may be
/// promoted however long its link has been down (`replica-validity-factor 0`: it
/// synced before the kill), no reads from a slot without a master, and a replica synced
/// at once rather than after the default five seconds that wait for other replicas.
fn node_options() -> Options {
    let args = [
        "--cluster-node-timeout",
        "1000",
        "--cluster-replica-validity-factor",
        "0",
        "--cluster-allow-reads-when-down",
        "no",
        "--repl-diskless-sync-delay",
        "0",
    ];
    Options {
        cluster: true,
        args: args.iter().map(|arg| (*arg).to_owned()).collect(),
        ..Options::default()
    }
}

/// The options of the sentinels' master (`replica_of` `None`) or replica.
fn data_options(replica_of: Option<u16>) -> Options {
    let mut args = vec!["--repl-diskless-sync-delay".to_owned(), "0".to_owned()];
    if let Some(port) = replica_of {
        args.extend(["--replicaof".to_owned(), "127.0.0.1".to_owned(), port.to_string()]);
    }
    Options {
        args,
        ..Options::default()
    }
}

/// A sentinel's configuration file: quorum two of three, a master down after a second
/// without an answer. Each sentinel gets its own copy, which it rewrites.
fn sentinel_config(master_port: u16) -> String {
    format!(
        "sentinel monitor {SENTINEL_SERVICE} 127.0.0.1 {master_port} 2\n\
         sentinel down-after-milliseconds {SENTINEL_SERVICE} 1000\n\
         sentinel failover-timeout {SENTINEL_SERVICE} 5000\n\
         sentinel parallel-syncs {SENTINEL_SERVICE} 1\n"
    )
}

/// The inclusive slot range of master `index` of `masters`.
fn slot_share(index: usize, masters: usize) -> (u16, u16) {
    let slots = usize::from(SLOTS);
    let first = index * slots / masters;
    let last = (index + 1) * slots / masters - 1;
    (first as u16, last as u16)
}

fn bus_port(node: &RedisServer) -> u16 {
    node.cluster_port().expect("a cluster node has a bus port")
}

/// Sends a command that must succeed to the node on `port`.
async fn tell(port: u16, args: &[&str]) {
    let answer: Result<(), String> = ask(port, args).await;
    answer.unwrap_or_else(|problem| panic!("{problem}"));
}

/// One command to the node on `port`, on a connection of its own, within
/// [`ASK_WITHIN`]; the error names the node and the command.
async fn ask<T: FromRedisValue>(port: u16, args: &[&str]) -> Result<T, String> {
    let attempt = async {
        let client =
            redis::Client::open(format!("redis://127.0.0.1:{port}")).map_err(|err| err.to_string())?;
        let mut connection = client
            .get_multiplexed_async_connection()
            .await
            .map_err(|err| err.to_string())?;
        let mut command = redis::cmd(args[0]);
        for arg in &args[1..] {
            command.arg(*arg);
        }
        command
            .query_async(&mut connection)
            .await
            .map_err(|err| err.to_string())
    };
    match tokio::time::timeout(ASK_WITHIN, attempt).await {
        Ok(answer) => answer.map_err(|err| format!("node {port}, {}: {err}", args.join(" "))),
        Err(_) => Err(format!(
            "node {port} did not answer {} within {ASK_WITHIN:?}",
            args.join(" ")
        )),
    }
}

/// `CLUSTER NODES` of the node on `port`.
async fn view(port: u16) -> Result<Vec<Peer>, String> {
    let text: String = ask(port, &["CLUSTER", "NODES"]).await?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(Peer::parse)
        .collect::<Option<_>>()
        .ok_or_else(|| format!("node {port} answered CLUSTER NODES with {text:?}"))
}

/// Whether the node on `port` reports the cluster ok, every slot served.
async fn cluster_ok(port: u16) -> Result<(), String> {
    let info: String = ask(port, &["CLUSTER", "INFO"]).await?;
    expect_field(port, &info, "cluster_state", "ok")?;
    expect_field(port, &info, "cluster_slots_ok", &SLOTS.to_string())
}

/// The line of `view` (of the node on `port`) about that node itself.
fn myself(port: u16, view: &[Peer]) -> Result<&Peer, String> {
    view.iter()
        .find(|peer| peer.has("myself"))
        .ok_or_else(|| format!("node {port} does not list itself: {view:?}"))
}

/// Whether the node on `port` (whose `view` this is) sees `node` healthy and in the
/// role `node` says it has.
fn agrees(port: u16, view: &[Peer], node: &Peer) -> Result<(), String> {
    let seen = view
        .iter()
        .find(|peer| peer.id == node.id)
        .ok_or_else(|| format!("node {port} does not know node {}", node.port))?;
    if !seen.healthy() || seen.is_master() != node.is_master() || seen.master_id != node.master_id {
        return Err(format!("node {port} sees {seen:?}, which says it is {node:?}"));
    }
    Ok(())
}

impl Peer {
    /// `<id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch> <link>
    /// <slot>...`, slots as `N` or `N-M`, or `[N-<-id]` while moving (skipped).
    fn parse(line: &str) -> Option<Peer> {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let address = fields.get(1)?.split(['@', ',']).next()?;
        let port = address.rsplit_once(':')?.1.parse().unwrap_or(0);
        let slots = fields
            .get(8..)
            .unwrap_or_default()
            .iter()
            .filter(|slot| !slot.starts_with('['))
            .map(|slot| match slot.split_once('-') {
                Some((first, last)) => Some((first.parse().ok()?, last.parse().ok()?)),
                None => slot.parse().ok().map(|single| (single, single)),
            })
            .collect::<Option<_>>()?;
        Some(Peer {
            id: (*fields.first()?).to_owned(),
            port,
            flags: fields.get(2)?.split(',').map(str::to_owned).collect(),
            master_id: Some(*fields.get(3)?).filter(|id| *id != "-").map(str::to_owned),
            connected: *fields.get(7)? == "connected",
            slots,
        })
    }

    fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|own| own == flag)
    }

    fn is_master(&self) -> bool {
        self.has("master")
    }

    /// Reachable, and known to every node's satisfaction.
    fn healthy(&self) -> bool {
        self.connected
            && !["fail", "fail?", "handshake", "noaddr"]
                .iter()
                .any(|flag| self.has(flag))
    }

    fn owns(&self, slot: u16) -> bool {
        self.slots
            .iter()
            .any(|(first, last)| (*first..=*last).contains(&slot))
    }
}

/// The value of `name` in an `INFO`-style answer (`name:value` lines) must be `want`.
fn expect_field(port: u16, info: &str, name: &str, want: &str) -> Result<(), String> {
    let value = info
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim);
    if value == Some(want) {
        return Ok(());
    }
    Err(format!(
        "node {port} reports {name}:{}",
        value.unwrap_or("(none)")
    ))
}

/// The entry `name` of a sentinel's answer about a server must satisfy `good`.
fn expect_entry(
    port: u16,
    entries: &HashMap<String, String>,
    name: &str,
    good: impl Fn(&str) -> bool,
) -> Result<(), String> {
    match entries.get(name) {
        Some(value) if good(value) => Ok(()),
        value => Err(format!("sentinel {port} reports {name} {value:?}")),
    }
}

/// Polls `check` until it answers `Ok`; panics after `within` with its last problem and
/// the end of the `servers`' logs.
async fn settle<T, F, Fut>(what: &str, within: Duration, servers: Vec<&RedisServer>, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let started = Instant::now();
    loop {
        match check().await {
            Ok(value) => return value,
            Err(problem) if started.elapsed() > within => panic!(
                "waited for {what} in vain for {within:?} (a slow machine? other tests \
                 starting servers at the same time?): {problem}\n{}",
                logs(&servers)
            ),
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// The end of each server's log, for a panic message.
fn logs(servers: &[&RedisServer]) -> String {
    servers
        .iter()
        .map(|server| {
            let state = if server.is_running() { "running" } else { "down" };
            format!(
                "--- redis-server on port {} ({state}):\n{}",
                server.port(),
                server.log_tail(LOG_LINES)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
