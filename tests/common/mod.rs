//! Shared by the integration tests: serve an App on a free loopback port, over real
//! TCP, and talk to it with reqwest.
#![allow(dead_code)]

use apiview::{App, Settings};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::Server;

/// A server running in the background of the test's runtime; stops when dropped.
pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// Serves any poem endpoint on 127.0.0.1 at a free port.
pub async fn serve_endpoint<E>(endpoint: E) -> TestServer
where
    E: poem::IntoEndpoint,
    E::Endpoint: 'static,
{
    let endpoint = poem::EndpointExt::boxed(poem::EndpointExt::map_to_response(endpoint.into_endpoint()));
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
    let addr = acceptor.local_addr()[0].as_socket_addr().cloned().unwrap();
    let task = tokio::spawn(async move {
        let _ = Server::new_with_acceptor(acceptor).run(endpoint).await;
    });
    TestServer {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        task,
    }
}

/// Serves an App.
pub async fn serve(app: App) -> TestServer {
    serve_endpoint(app.into_endpoint()).await
}

/// Settings from TOML text.
pub fn settings(toml: &str) -> Settings {
    Settings::from_toml_str(toml).unwrap()
}
