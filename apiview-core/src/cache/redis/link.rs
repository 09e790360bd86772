//! The connection behind a Redis backend, by kind of deployment:
//! - one server: redis's `ConnectionManager`, multiplexed and reconnecting;
//! - a Redis Cluster: redis's cluster connection, which routes each command to its
//!   slot's master, follows MOVED and ASK, and learns the new slot map after a
//!   failover;
//! - Sentinel: a multiplexed connection to the master the Sentinels name, dropped on
//!   a connection error or a READONLY answer (the old master, demoted) so that the next
//!   command asks the Sentinels again.
//!
//! Every command is bounded by the backend's timeout.

use std::sync::Mutex;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{AsyncConnectionConfig, Cmd, FromRedisValue, RedisError, RedisResult};
use tokio::sync::OnceCell;

use crate::cache::CacheFailure;
use crate::settings::{RedisTarget as Target, SentinelTarget};

/// A node of a Redis Cluster that holds slots, by address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Master {
    pub(super) host: String,
    pub(super) port: u16,
}

/// One node of a cluster: a master by address, or the master of a key's slot.
#[derive(Debug)]
pub(super) enum Node {
    Master(Master),
    OwnerOf(String),
}

pub(super) enum Link {
    Single {
        client: redis::Client,
        connection: OnceCell<ConnectionManager>,
    },
    Cluster {
        client: ClusterClient,
        connection: OnceCell<ClusterConnection>,
        /// The node URLs the cluster was named by, for subscriptions.
        nodes: Vec<String>,
    },
    Sentinel(SentinelLink),
}

pub(super) struct SentinelLink {
    /// One master lookup at a time: a failover met by every request at once asks the
    /// Sentinels once.
    client: tokio::sync::Mutex<SentinelClient>,
    current: Mutex<Option<MultiplexedConnection>>,
}

impl Link {
    pub(super) fn open(url: &str, timeout: Duration) -> Result<Link, CacheFailure> {
        let bad = |problem: String| CacheFailure::new(problem);
        Ok(match Target::parse(url).map_err(bad)? {
            Target::Single(url) => Link::Single {
                client: redis::Client::open(url.as_str())
                    .map_err(|err| bad(format!("bad Redis URL `{url}`: {err}")))?,
                connection: OnceCell::new(),
            },
            Target::Cluster(nodes) => Link::Cluster {
                client: ClusterClient::builder(nodes.clone())
                    .connection_timeout(timeout)
                    .response_timeout(timeout)
                    // A failover takes the cluster a second or two; the command's own
                    // timeout ends the wait for one request sooner.
                    .retries(3)
                    .min_retry_wait(10)
                    .max_retry_wait(200)
                    .build()
                    .map_err(|err| bad(format!("bad Redis Cluster URL `{url}`: {err}")))?,
                connection: OnceCell::new(),
                nodes,
            },
            Target::Sentinel(target) => Link::Sentinel(SentinelLink {
                client: tokio::sync::Mutex::new(
                    sentinel_client(&target)
                        .map_err(|err| bad(format!("bad Redis Sentinel URL `{url}`: {err}")))?,
                ),
                current: Mutex::new(None),
            }),
        })
    }

    /// A command's answer, or Redis's error as it came (the caller may handle some); a
    /// connection that fails or a Redis that does not answer within `timeout` is a
    /// failure.
    pub(super) async fn query<T: FromRedisValue>(
        &self,
        command: &Cmd,
        timeout: Duration,
    ) -> Result<RedisResult<T>, CacheFailure> {
        let answer = tokio::time::timeout(timeout, self.run(command, timeout)).await;
        match answer {
            Ok(answer) => answer,
            Err(_) => {
                if let Link::Sentinel(link) = self {
                    link.forget();
                }
                Err(CacheFailure::new(format!(
                    "Redis did not answer within {timeout:?}"
                )))
            }
        }
    }

    async fn run<T: FromRedisValue>(
        &self,
        command: &Cmd,
        timeout: Duration,
    ) -> Result<RedisResult<T>, CacheFailure> {
        match self {
            Link::Single { client, connection } => {
                // The configuration is made once, with the connection.
                let connect = || {
                    let config = ConnectionManagerConfig::new()
                        .set_connection_timeout(Some(timeout))
                        .set_response_timeout(Some(timeout))
                        .set_number_of_retries(1)
                        .set_max_delay(Duration::from_secs(1));
                    client.get_connection_manager_with_config(config)
                };
                let mut connection = connection
                    .get_or_try_init(connect)
                    .await
                    .map_err(|err| CacheFailure::new(format!("cannot connect to Redis: {err}")))?
                    .clone();
                Ok(command.query_async(&mut connection).await)
            }
            Link::Cluster {
                client, connection, ..
            } => {
                let mut connection = cluster_connection(client, connection).await?;
                Ok(command.query_async(&mut connection).await)
            }
            Link::Sentinel(link) => link.query(command, timeout).await,
        }
    }

    /// Whether this is a Redis Cluster.
    pub(super) fn is_cluster(&self) -> bool {
        matches!(self, Link::Cluster { .. })
    }

    /// Runs `command` on one node of a cluster (elsewhere, on the server).
    pub(super) async fn query_on<T: FromRedisValue>(
        &self,
        node: &Node,
        command: &Cmd,
        timeout: Duration,
    ) -> Result<T, CacheFailure> {
        let Link::Cluster {
            client, connection, ..
        } = self
        else {
            return self.query(command, timeout).await?.map_err(failed);
        };
        let routing = RoutingInfo::SingleNode(match node {
            Node::Master(master) => SingleNodeRoutingInfo::ByAddress {
                host: master.host.clone(),
                port: master.port,
            },
            Node::OwnerOf(key) => SingleNodeRoutingInfo::SpecificNode(Route::with_key(key, SlotAddr::Master)),
        });
        let routed = async {
            let mut connection = cluster_connection(client, connection).await?;
            let value = connection
                .route_command(command.clone(), routing)
                .await
                .map_err(failed)?;
            T::from_redis_value(value)
                .map_err(|err| CacheFailure::new(format!("Redis answered oddly: {err}")))
        };
        match tokio::time::timeout(timeout, routed).await {
            Ok(answer) => answer,
            Err(_) => Err(CacheFailure::new(format!(
                "Redis ({node:?}) did not answer within {timeout:?}"
            ))),
        }
    }

    /// The masters of a cluster that hold slots, from `CLUSTER NODES`.
    pub(super) async fn masters(&self, timeout: Duration) -> Result<Vec<Master>, CacheFailure> {
        let nodes: String = self
            .query(&redis::cmd("CLUSTER").arg("NODES").clone(), timeout)
            .await?
            .map_err(failed)?;
        Ok(masters_of(&nodes))
    }

    /// Clients of servers that carry pub/sub messages, to try in turn: the server; the
    /// cluster's nodes (a message published on one reaches every node); the master the
    /// Sentinels name now.
    pub(super) async fn subscribable(&self) -> Result<Vec<redis::Client>, CacheFailure> {
        match self {
            Link::Single { client, .. } => Ok(vec![client.clone()]),
            Link::Cluster { nodes, .. } => nodes
                .iter()
                .map(|node| {
                    redis::Client::open(node.as_str())
                        .map_err(|err| CacheFailure::new(format!("bad node URL `{node}`: {err}")))
                })
                .collect(),
            Link::Sentinel(link) => {
                let mut client = link.client.lock().await;
                let master = client
                    .async_get_client()
                    .await
                    .map_err(|err| CacheFailure::new(format!("the Sentinels named no master: {err}")))?;
                Ok(vec![master])
            }
        }
    }
}

/// The cluster connection, made on first use (a cluster unreachable then is tried
/// again by the next command).
async fn cluster_connection(
    client: &ClusterClient,
    connection: &OnceCell<ClusterConnection>,
) -> Result<ClusterConnection, CacheFailure> {
    connection
        .get_or_try_init(|| client.get_async_connection())
        .await
        .cloned()
        .map_err(|err| CacheFailure::new(format!("cannot connect to the Redis Cluster: {err}")))
}

fn failed(err: RedisError) -> CacheFailure {
    CacheFailure::new(format!("Redis failed: {err}"))
}

fn sentinel_client(target: &SentinelTarget) -> RedisResult<SentinelClient> {
    let mut builder =
        SentinelClientBuilder::new(target.addresses(), &target.service, SentinelServerType::Master)?
            .set_client_to_redis_db(target.db);
    if let Some(username) = &target.username {
        builder = builder.set_client_to_redis_username(username);
    }
    if let Some(password) = &target.password {
        builder = builder.set_client_to_redis_password(password);
    }
    builder.build()
}

impl SentinelLink {
    async fn query<T: FromRedisValue>(
        &self,
        command: &Cmd,
        timeout: Duration,
    ) -> Result<RedisResult<T>, CacheFailure> {
        let mut connection = self.connection(timeout).await?;
        let answer = command.query_async(&mut connection).await;
        match &answer {
            // The connection still led to the old master (the first command after a
            // failover finds out): once more, to the master the Sentinels name now.
            // A command the old master ran before it went away may run twice.
            Err(err) if lost_master(err) => {
                self.forget();
                let mut connection = self.connection(timeout).await?;
                let answer = command.query_async(&mut connection).await;
                if matches!(&answer, Err(err) if lost_master(err)) {
                    self.forget();
                }
                Ok(answer)
            }
            _ => Ok(answer),
        }
    }

    async fn connection(&self, timeout: Duration) -> Result<MultiplexedConnection, CacheFailure> {
        if let Some(connection) = self.current() {
            return Ok(connection);
        }
        let mut client = self.client.lock().await;
        // Another request may have found the master while this one waited.
        if let Some(connection) = self.current() {
            return Ok(connection);
        }
        let master = client
            .async_get_client()
            .await
            .map_err(|err| CacheFailure::new(format!("the Sentinels named no reachable master: {err}")))?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        let connection = master
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|err| CacheFailure::new(format!("cannot connect to the master: {err}")))?;
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(connection.clone());
        Ok(connection)
    }

    fn current(&self) -> Option<MultiplexedConnection> {
        self.current.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Drops the connection: the next command asks the Sentinels for the master.
    fn forget(&self) {
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Whether an error means the connection no longer reaches a master: the server went
/// away, or answers as a replica (demoted by a failover).
fn lost_master(err: &RedisError) -> bool {
    err.is_io_error()
        || err.is_connection_dropped()
        || err.is_connection_refusal()
        || err.is_timeout()
        || err.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ReadOnly)
}

/// The masters that hold slots, from `CLUSTER NODES`: one line per node,
/// `id host:port@bus flags master-id ping pong epoch state slot...`.
fn masters_of(nodes: &str) -> Vec<Master> {
    nodes
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let flags = fields.get(2)?;
            let serving = flags.split(',').any(|flag| flag == "master")
                && !flags
                    .split(',')
                    .any(|flag| matches!(flag, "fail" | "fail?" | "noaddr"))
                && fields.len() > 8;
            if !serving {
                return None;
            }
            let address = fields.get(1)?.split('@').next()?;
            let (host, port) = address.rsplit_once(':')?;
            Some(Master {
                host: host.to_owned(),
                port: port.parse().ok()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masters_are_the_nodes_with_slots_not_failed() {
        let nodes = "\
a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460
b2 127.0.0.1:7001@17001 master - 0 0 2 connected 5461-10922
c3 127.0.0.1:7002@17002 master,fail - 0 0 3 connected 10923-16383
d4 127.0.0.1:7003@17003 slave a1 0 0 1 connected
e5 127.0.0.1:7004@17004 master - 0 0 4 connected
";
        assert_eq!(
            masters_of(nodes),
            vec![
                Master {
                    host: "127.0.0.1".into(),
                    port: 7000
                },
                Master {
                    host: "127.0.0.1".into(),
                    port: 7001
                }
            ]
        );
    }
}
