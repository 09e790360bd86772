//! One shared connection serves every request.

use super::*;

counted_add!(conn_add, CONN_ADD_CALLS, key = "add:{a}:{b}", expire = 60);

#[tokio::test]
async fn one_connection_serves_every_request() {
    let redis = RedisServer::start().await;
    let mut con = redis.connection().await;
    let server = common::serve(App::new(redis_settings(&redis, "")).at("/add", conn_add)).await;
    let connections = |info: Vec<(String, String)>| -> u64 {
        info.into_iter()
            .find(|(field, _)| field == "total_connections_received")
            .and_then(|(_, value)| value.parse().ok())
            .expect("total_connections_received in INFO stats")
    };
    let before = connections(redis_info(&mut con, "stats").await);
    for n in 0..20 {
        assert_eq!(
            get(&server, &format!("/add?a={n}&b={}", n % 3)).await,
            ok(json!(n + n % 3))
        );
    }
    let requests = (0..20).map(|n| common::send(server.client.get(server.url(&format!("/add?a={n}&b=1")))));
    futures_util::future::join_all(requests).await;
    let after = connections(redis_info(&mut con, "stats").await);
    assert!(
        after - before <= 1,
        "{} connections to Redis for 40 requests: the backend must share one",
        after - before
    );
    assert!(calls(&CONN_ADD_CALLS) > 0);

    // A hit is one round trip: one GET, nothing else.
    let before = all_command_calls(&mut con).await;
    for _ in 0..10 {
        assert_eq!(get(&server, "/add?a=1&b=1").await, ok(json!(2)));
    }
    let after = all_command_calls(&mut con).await;
    let ran: Vec<(String, u64)> = after
        .into_iter()
        .map(|(command, calls)| {
            let earlier = before.iter().find(|(c, _)| *c == command).map_or(0, |(_, n)| *n);
            (command, calls - earlier)
        })
        .filter(|(command, calls)| *calls > 0 && command != "info")
        .collect();
    assert_eq!(ran, [("get".to_owned(), 10)], "commands run for 10 hits");
}

/// Calls per command, from INFO commandstats.
async fn all_command_calls(con: &mut MultiplexedConnection) -> Vec<(String, u64)> {
    redis_info(con, "commandstats")
        .await
        .into_iter()
        .filter_map(|(field, value)| {
            let command = field.strip_prefix("cmdstat_")?.to_owned();
            let calls = value
                .split(',')
                .find_map(|part| part.strip_prefix("calls="))?
                .parse()
                .ok()?;
            Some((command, calls))
        })
        .collect()
}
