//! Throttle counters on the cluster: a client's allowance is one, whichever instance
//! its requests reach.

use futures_util::future::join_all;

use super::{instances, shared_cluster};

/// The demo's `/throttled` allows 5 a minute per client address: 15 requests spread
/// over three instances get 5 answers and 10 refusals.
#[tokio::test]
async fn a_rate_holds_across_instances() {
    let instances = instances(
        3,
        &format!(
            "[cache]\nbackends.default = \"memory://\"\nbackends.shared = \"{}\"\n\
             [throttle]\nbackend = \"shared\"\n",
            shared_cluster().url()
        ),
    )
    .await;
    let answers = join_all((0..15).map(|at| {
        let server = &instances[at % 3].server;
        async move {
            let body = crate::common::send(server.client.get(server.url("/throttled")))
                .await
                .json;
            // 0: admitted; else the error's code.
            if body["success"] == true {
                0
            } else {
                crate::common::code_of(&body)
            }
        }
    }))
    .await;
    let admitted = answers.iter().filter(|code| **code == 0).count();
    assert_eq!(admitted, 5, "{answers:?}");
    // TooManyRequests for the others.
    assert!(
        answers
            .iter()
            .filter(|code| **code != 0)
            .all(|code| *code == 1001010007),
        "{answers:?}"
    );
}
