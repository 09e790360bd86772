//! `ApiviewClient` (cargo feature `client`): calls apiview endpoints and unpacks
//! their answers with the same packers the server uses.

use std::sync::Arc;
use std::time::Duration;

use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use crate::cipher;
use crate::error::BizError;
use crate::packer::{Packer, SafePacker, SimplePacker, UnpackContext};

/// Why a call failed.
#[derive(Debug)]
pub enum ClientError {
    /// The server answered a business error: its code and message as sent.
    Business(BizError),
    /// The server could not be reached (after `retry_limit` retries).
    Connection(String),
    /// The answer is not a packed answer (a proxy's error page, say).
    Http {
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The unpacked result does not fit the requested type.
    Decode(String),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Business(err) => write!(f, "business error {err}"),
            ClientError::Connection(cause) => write!(f, "cannot reach the server: {cause}"),
            ClientError::Http { status, body } => write!(f, "HTTP {status} without a packed answer: {body}"),
            ClientError::Decode(cause) => write!(f, "the result does not fit the requested type: {cause}"),
        }
    }
}

impl std::error::Error for ClientError {}

impl ClientError {
    /// The business error, if that is what this is.
    ///
    /// ```
    /// use apiview_core::client::ClientError;
    /// use apiview_core::BizError;
    ///
    /// let err = ClientError::Business(BizError::app_auth_failed());
    /// assert_eq!(err.business().map(|e| e.code()), Some(1001040004));
    /// ```
    pub fn business(&self) -> Option<&BizError> {
        match self {
            ClientError::Business(err) => Some(err),
            _ => None,
        }
    }
}

/// A client of an apiview server.
///
/// ```
/// use apiview_core::client::ApiviewClient;
///
/// # use apiview::prelude::*;
/// # #[apiview]
/// # fn ping() -> &'static str {
/// #     "pong"
/// # }
/// # #[apiview]
/// # fn add(a: i64, b: i64) -> i64 {
/// #     a + b
/// # }
/// # #[apiview]
/// # fn echo(msg: String) -> String {
/// #     msg
/// # }
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// # // The server the example talks to, on a free loopback port.
/// # use poem::listener::{Acceptor, Listener, TcpListener};
/// # let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
/// # let address = acceptor.local_addr()[0].as_socket_addr().cloned().unwrap();
/// # let app = App::new(Settings::default()).at("/ping", ping).at("/add", add).at("/echo", echo);
/// # tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app.into_endpoint()));
/// # let base = format!("http://{address}");
/// let client = ApiviewClient::new(base); // "http://127.0.0.1:3000"
/// let pong: String = client.get("/ping", &()).await.unwrap();
/// let sum: i64 = client.get("/add", &[("a", 1), ("b", 2)]).await.unwrap();
/// let echoed: String = client.post_json("/echo", &serde_json::json!({"msg": "hi"})).await.unwrap();
/// assert_eq!((pong.as_str(), sum, echoed.as_str()), ("pong", 3, "hi"));
/// # });
/// ```
#[derive(Clone)]
pub struct ApiviewClient {
    base: String,
    http: reqwest::Client,
    packer: Arc<dyn Packer>,
    client_id: Option<(String, String)>,
    /// The client's private key, which signs encrypted requests (DESIGN §19).
    client_private: Option<RsaPrivateKey>,
    server_key: Option<RsaPublicKey>,
    retry_limit: u32,
    retry_sleep: Duration,
}

impl ApiviewClient {
    /// A client of the server at `base` (`http://host:port`), unpacking with the
    /// simple packer, retrying connection failures twice, 200 ms apart.
    pub fn new(base: impl Into<String>) -> Self {
        ApiviewClient {
            base: base.into().trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            packer: Arc::new(SimplePacker),
            client_id: None,
            client_private: None,
            server_key: None,
            retry_limit: 2,
            retry_sleep: Duration::from_millis(200),
        }
    }

    /// Unpacks with another packer (`DeetrPacker`, `DmrsPacker`, your own).
    ///
    /// ```
    /// use apiview::prelude::*;
    /// use apiview_core::client::ApiviewClient;
    /// use apiview_core::packer::DeetrPacker;
    ///
    /// #[apiview(packer = "deetr")]
    /// fn ping() -> &'static str {
    ///     "pong"
    /// }
    ///
    /// # // A server on a free loopback port, for the example to talk to.
    /// # async fn serve(app: apiview::App) -> String {
    /// #     use poem::listener::{Acceptor, Listener, TcpListener};
    /// #     let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
    /// #     let addr = acceptor.local_addr()[0].as_socket_addr().cloned().unwrap();
    /// #     tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app.into_endpoint()));
    /// #     format!("http://{addr}")
    /// # }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let base = serve(App::new(Settings::default()).at("/ping", ping)).await;
    /// let client = ApiviewClient::new(&base).packer(DeetrPacker);
    /// let pong: String = client.get("/ping", &()).await.unwrap();
    /// assert_eq!(pong, "pong");
    /// // The default (simple) packer cannot read a deetr answer.
    /// assert!(ApiviewClient::new(&base).get::<String>("/ping", &()).await.is_err());
    /// # });
    /// ```
    pub fn packer(mut self, packer: impl Packer) -> Self {
        self.packer = Arc::new(packer);
        self
    }

    /// Talks to safe-packed endpoints as client `client_id`: sends `clientId` with
    /// every request and decrypts answers with the client's private key.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use apiview::prelude::*;
    /// use apiview_core::client::ApiviewClient;
    ///
    /// #[apiview(packer = "safe")]
    /// fn ping() -> &'static str {
    ///     "pong"
    /// }
    ///
    /// # // A server on a free loopback port, for the example to talk to.
    /// # async fn serve(app: apiview::App) -> String {
    /// #     use poem::listener::{Acceptor, Listener, TcpListener};
    /// #     let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
    /// #     let addr = acceptor.local_addr()[0].as_socket_addr().cloned().unwrap();
    /// #     tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app.into_endpoint()));
    /// #     format!("http://{addr}")
    /// # }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let key = apiview_core::cipher::generate_private_key(1024).unwrap();
    /// let keys = HashMap::from([("demo".to_owned(), key.to_public_key())]);
    /// let base = serve(App::new(Settings::default()).at("/ping", ping).client_keys(keys)).await;
    /// let client = ApiviewClient::new(&base).safe("demo", key);
    /// let pong: String = client.get("/ping", &()).await.unwrap();
    /// assert_eq!(pong, "pong");
    /// # });
    /// ```
    pub fn safe(self, client_id: impl Into<String>, private: RsaPrivateKey) -> Self {
        self.safe_with_field("clientId", client_id, private)
    }

    /// [`ApiviewClient::safe`] with another client id field (settings'
    /// `safe.client_id_field`).
    pub fn safe_with_field(
        mut self,
        field: impl Into<String>,
        client_id: impl Into<String>,
        private: RsaPrivateKey,
    ) -> Self {
        self.packer = Arc::new(SafePacker::for_client(private.clone()));
        self.client_id = Some((field.into(), client_id.into()));
        self.client_private = Some(private);
        self
    }

    /// Encrypts request bodies with the server's public key:
    /// `{encryptedPassword, encryptedData}`.
    ///
    /// With [`ApiviewClient::safe`] too, bodies are what safe endpoints take (DESIGN
    /// §19, README "Wire format"): the encrypted data also carries the client id, `ts`
    /// (now, in Unix seconds) and a fresh `nonce`, is bound to the method and path,
    /// and is signed with the client's private key (`signature`). Without it, bodies
    /// are the plain format of `#[decode_encrypted_data]` on endpoints that are not
    /// safe-packed.
    ///
    /// ```
    /// use apiview::prelude::*;
    /// use apiview_core::client::ApiviewClient;
    ///
    /// #[apiview]
    /// #[decode_encrypted_data]
    /// fn transfer(to: String, amount: u64) -> String {
    ///     format!("{amount} to {to}")
    /// }
    ///
    /// # // A server on a free loopback port, for the example to talk to.
    /// # async fn serve(app: apiview::App) -> String {
    /// #     use poem::listener::{Acceptor, Listener, TcpListener};
    /// #     let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
    /// #     let addr = acceptor.local_addr()[0].as_socket_addr().cloned().unwrap();
    /// #     tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app.into_endpoint()));
    /// #     format!("http://{addr}")
    /// # }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let server = apiview_core::cipher::generate_private_key(1024).unwrap();
    /// # let pem = std::env::temp_dir().join(format!("apiview-doc-server-{}.pem", std::process::id()));
    /// # std::fs::write(&pem, apiview_core::cipher::private_key_to_pem(&server).unwrap()).unwrap();
    /// # let mut settings = Settings::default();
    /// # settings.safe.server_private_key = pem.display().to_string();
    /// // `settings.safe.server_private_key` names the server key's PEM file.
    /// let base = serve(App::new(settings).at("/transfer", transfer)).await;
    /// let client = ApiviewClient::new(&base).encrypt_requests(server.to_public_key());
    /// let body = serde_json::json!({"to": "bob", "amount": 5});
    /// let answer: String = client.post_json("/transfer", &body).await.unwrap();
    /// assert_eq!(answer, "5 to bob");
    /// # std::fs::remove_file(pem).unwrap();
    /// # });
    /// ```
    pub fn encrypt_requests(mut self, server_public: RsaPublicKey) -> Self {
        self.server_key = Some(server_public);
        self
    }

    /// Retries a call that could not connect `limit` times, `sleep` apart. A business
    /// error is never retried.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use apiview_core::client::{ApiviewClient, ClientError};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// // A loopback port nobody listens on.
    /// let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    /// let client = ApiviewClient::new(format!("http://127.0.0.1:{port}"));
    /// let client = client.retry(5, Duration::from_millis(100));
    /// let start = Instant::now();
    /// let err = client.get::<String>("/ping", &()).await.unwrap_err();
    /// assert!(matches!(err, ClientError::Connection(_)));
    /// assert!(start.elapsed() >= Duration::from_millis(500), "five retries, 100 ms apart");
    /// # });
    /// ```
    pub fn retry(mut self, limit: u32, sleep: Duration) -> Self {
        self.retry_limit = limit;
        self.retry_sleep = sleep;
        self
    }

    /// GET `path` with `query` (a struct, a map or pairs; `&()` for none).
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &(impl Serialize + ?Sized),
    ) -> Result<T, ClientError> {
        self.send(|| self.http.get(self.url(path)).query(query)).await
    }

    /// POST `path` with a JSON body (encrypted when [`ApiviewClient::encrypt_requests`]
    /// was set).
    pub async fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &(impl Serialize + ?Sized),
    ) -> Result<T, ClientError> {
        let url = self.url(path);
        let body = self.body(&url, body)?;
        self.send(|| self.http.post(&url).json(&body)).await
    }

    /// POST `path` with a urlencoded form body.
    pub async fn post_form<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &(impl Serialize + ?Sized),
    ) -> Result<T, ClientError> {
        self.send(|| self.http.post(self.url(path)).form(form)).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    /// The JSON body of a POST to `url`, encrypted when the client was told the
    /// server's key, and signed when it is a safe client.
    fn body(&self, url: &str, body: &(impl Serialize + ?Sized)) -> Result<Value, ClientError> {
        let failed = |err: &dyn std::fmt::Display| ClientError::Decode(err.to_string());
        let value = serde_json::to_value(body).map_err(|err| failed(&err))?;
        let Some(server) = &self.server_key else {
            return Ok(value);
        };
        let key = cipher::random_key();
        let password = cipher::encrypt_key(server, &key).map_err(|err| failed(&err))?;
        let (Some((field, client_id)), Some(private)) = (&self.client_id, &self.client_private) else {
            let plaintext = serde_json::to_vec(&value).map_err(|err| failed(&err))?;
            return Ok(
                json!({"encryptedPassword": password, "encryptedData": cipher::seal(&key, &plaintext)}),
            );
        };
        let Value::Object(mut fields) = value else {
            return Err(ClientError::Decode(
                "an encrypted request body must be a JSON object (its fields become request fields)".into(),
            ));
        };
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        fields.insert(field.clone(), Value::String(client_id.clone()));
        fields.insert("ts".into(), ts.into());
        fields.insert("nonce".into(), uuid::Uuid::new_v4().simple().to_string().into());
        let plaintext = serde_json::to_vec(&fields).map_err(|err| failed(&err))?;
        let path = reqwest::Url::parse(url).map_err(|err| failed(&err))?;
        let data = cipher::seal_with_aad(&key, &plaintext, &cipher::request_aad("POST", path.path()));
        let signature = cipher::sign_request(private, &password, &data);
        Ok(json!({"encryptedPassword": password, "encryptedData": data, "signature": signature}))
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let mut attempt = 0;
        let response = loop {
            let mut builder = request();
            if let Some((field, id)) = &self.client_id {
                builder = builder.query(&[(field, id)]);
            }
            match builder.send().await {
                Ok(response) => break response,
                Err(err) if err.is_connect() && attempt < self.retry_limit => {
                    attempt += 1;
                    tracing::debug!(%err, attempt, "cannot connect; retrying");
                    tokio::time::sleep(self.retry_sleep).await;
                }
                Err(err) => return Err(ClientError::Connection(err.to_string())),
            }
        };
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|err| ClientError::Connection(err.to_string()))?;
        let result = self.packer.unpack(&bytes, &UnpackContext::new()).map_err(|err| {
            // An error the server sent is rebuilt from its code and message, without a
            // catalogue name; a catalogue error here was raised by the unpacking itself.
            match err.name() {
                None => ClientError::Business(err),
                Some("ParseJsonError") => ClientError::Http {
                    status,
                    body: String::from_utf8_lossy(&bytes[..bytes.len().min(256)]).into_owned(),
                },
                Some(_) => ClientError::Decode(err.message()),
            }
        })?;
        serde_json::from_value(result).map_err(|err| ClientError::Decode(err.to_string()))
    }
}
