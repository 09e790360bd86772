//! Replays (issue 12, D5; DESIGN §19): a captured request runs once, whoever sends it
//! again, refused before any decryption, even from many connections at once; a
//! failing replay backend refuses signed requests.

use super::*;

/// Bob (a registered client) captures the body Alice sends and replays it as
/// himself, by the query, by a plain body field, and with his own signature over her
/// blobs: the server neither runs the function again nor answers him anything of
/// hers. Replayed as Alice, it is a duplicate.
#[tokio::test]
async fn another_client_cannot_replay_an_encrypted_request() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let k = keys();
    let run = "replayed-by-bob";
    let secret = "alice's secret";
    let captured = alice_body("POST", "/counted_safe", &json!({"run": run, "msg": secret}));

    let answer = post_json(&server, "/counted_safe?clientId=alice", &captured).await;
    assert_eq!(open_answer(&k.alice, &answer.json), ok(json!(secret)));
    assert_eq!(calls(run), 1);

    let replays = [
        ("?clientId=bob", "/counted_safe?clientId=bob", captured.clone()),
        (
            "a plain clientId field",
            "/counted_safe",
            merged(captured.clone(), json!({"clientId": "bob"})),
        ),
        (
            "a plain clientId field over the query",
            "/counted_safe?clientId=alice",
            merged(captured.clone(), json!({"clientId": "bob"})),
        ),
        (
            "bob's signature, ?clientId=bob",
            "/counted_safe?clientId=bob",
            resigned(&captured, &k.bob),
        ),
        (
            "bob's signature, a plain clientId field",
            "/counted_safe",
            merged(resigned(&captured, &k.bob), json!({"clientId": "bob"})),
        ),
    ];
    for (what, path, body) in replays {
        let answer = post_json(&server, path, &body).await;
        assert_eq!(calls(run), 1, "replayed with {what}: the function ran again");
        if cipher::decrypt_key(&k.bob, field(&answer.json, "encryptedPassword")).is_ok() {
            let envelope = open_answer(&k.bob, &answer.json);
            assert_eq!(
                envelope["success"],
                json!(false),
                "replayed with {what}: bob got {envelope}"
            );
            assert!(
                !envelope.to_string().contains(secret),
                "replayed with {what}: bob got {envelope}"
            );
        }
    }

    let answer = post_json(&server, "/counted_safe?clientId=alice", &captured).await;
    assert_eq!(
        open_answer(&k.alice, &answer.json),
        err(1001040013, "Reqid duplicate error."),
        "replayed as alice"
    );
    assert_eq!(calls(run), 1, "replayed as alice: the function ran again");
}

/// AES-GCM's associated data binds the method and the path: a body made for one
/// endpoint or method does not decrypt on another. Field order and a form body make
/// no difference.
/// A captured request replayed is refused before any private-key work: sent again to
/// a path where it would not even decrypt (its associated data binds /counted_safe),
/// the answer is the duplicate, not the decryption failure, so nothing was decrypted.
#[tokio::test]
async fn a_replayed_blob_is_refused_before_any_decryption() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let run = "replayed-blob";
    let captured = alice_body("POST", "/counted_safe", &json!({"run": run, "msg": "once"}));
    let answer = alice_posts(&server, "/counted_safe?clientId=alice", &captured).await;
    assert_eq!(answer, ok(json!("once")));
    for path in ["/counted_safe?clientId=alice", "/safe_echo?clientId=alice"] {
        for _ in 0..3 {
            let answer = alice_posts(&server, path, &captured).await;
            assert_eq!(answer, err(REQID_DUPLICATE, "Reqid duplicate error."), "{path}");
        }
    }
    assert_eq!(calls(run), 1);
}

/// The same body sent at once over many connections runs once; the others are
/// duplicates. A nonce is per client: bob may use the one alice used.
#[tokio::test]
async fn the_same_nonce_from_many_connections_at_once_runs_once() {
    let files = KeyFiles::new();
    let server = standard_server(&files).await;
    let k = keys();
    let body = signed_body(
        &k.alice,
        "alice",
        "POST",
        "/counted_safe",
        &json!({"run": "at-once", "msg": "once"}),
    );
    let url = server.url("/counted_safe?clientId=alice");
    let sends = (0..8).map(|_| {
        // A client each: a connection each.
        let client = reqwest::Client::new();
        let (url, body) = (url.clone(), body.clone());
        tokio::spawn(async move { send(client.post(url).json(&body)).await.json })
    });
    let mut outcomes = Vec::new();
    for handle in sends {
        let envelope = open_answer(&k.alice, &handle.await.unwrap());
        outcomes.push(if envelope == ok(json!("once")) {
            0
        } else {
            code_of(&envelope)
        });
    }
    outcomes.sort();
    assert_eq!(
        outcomes,
        [
            0,
            REQID_DUPLICATE,
            REQID_DUPLICATE,
            REQID_DUPLICATE,
            REQID_DUPLICATE,
            REQID_DUPLICATE,
            REQID_DUPLICATE,
            REQID_DUPLICATE
        ]
    );
    assert_eq!(calls("at-once"), 1);

    let nonce = fresh_nonce();
    for (signer, client) in [(&k.alice, "alice"), (&k.bob, "bob")] {
        let fields =
            json!({"clientId": client, "ts": unix_now(), "nonce": nonce, "msg": client, "run": "per-client"});
        let body = sealed_request(
            signer,
            "POST",
            "/counted_safe",
            &serde_json::to_vec(&fields).unwrap(),
        );
        let answer = post_json(&server, &format!("/counted_safe?clientId={client}"), &body).await;
        assert_eq!(open_answer(signer, &answer.json), ok(json!(client)));
    }
}

/// When the replay backend fails, signed requests are refused (fail closed), never
/// run unchecked; a replay backend that settings do not configure stops start-up.
#[tokio::test]
async fn a_failing_replay_backend_refuses_signed_requests() {
    let files = KeyFiles::new();
    let settings = files.standard(
        "[cache]\noperation_timeout_ms = 200\nbackends = { default = \"memory://\", replay = \"redis://127.0.0.1:1/0\" }",
        "replay_backend = \"replay\"",
    );
    let server = common::serve(routes(App::new(settings))).await;
    let k = keys();
    let body = signed_body(
        &k.alice,
        "alice",
        "POST",
        "/counted_safe",
        &json!({"run": "no-replay-backend", "msg": "hi"}),
    );
    assert_eq!(
        alice_posts(&server, "/counted_safe?clientId=alice", &body).await,
        err(1001000003, "System Error")
    );
    assert_eq!(calls("no-replay-backend"), 0);

    let message = startup_error(routes(App::new(
        files.standard("", "replay_backend = \"nowhere\""),
    )));
    assert_names(&message, &["safe.replay_backend", "nowhere", "[cache] backends"]);
}

/// Several instances sharing a Redis Cluster as the replay backend (DESIGN §18): a
/// request captured on its way to one instance and replayed to another is refused
/// there, and the function ran once.
#[tokio::test]
async fn a_request_replayed_to_another_instance_is_refused() {
    let cluster = common::redis_cluster::RedisCluster::start(3, 0).await;
    let files = KeyFiles::new();
    let top = format!(
        "[cache]\nbackends = {{ default = \"memory://\", replay = \"{}\" }}",
        cluster.url()
    );
    let mut instances = Vec::new();
    for _ in 0..2 {
        let settings = files.standard(&top, "replay_backend = \"replay\"");
        instances.push(common::serve(routes(App::new(settings))).await);
    }
    let run = "replayed-to-another-instance";
    let body = alice_body("POST", "/counted_safe", &json!({"run": run, "msg": "once"}));
    assert_eq!(
        alice_posts(&instances[0], "/counted_safe?clientId=alice", &body).await,
        ok(json!("once"))
    );
    assert_eq!(
        alice_posts(&instances[1], "/counted_safe?clientId=alice", &body).await,
        err(1001040013, "Reqid duplicate error."),
        "replayed to the second instance"
    );
    assert_eq!(calls(run), 1);
}
