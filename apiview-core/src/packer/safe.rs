use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{json, Map, Value};

use super::{write_json, PackContext, Packer, SimplePacker, UnpackContext};
use crate::cipher::{self, KEY_LEN};
use crate::error::BizError;
use crate::request::RawValue;

/// Where the safe packer finds a client's public key, by client id.
///
/// Settings' `safe.client_public_keys` is one store; implement this trait to keep
/// keys elsewhere (a database, a key service) and pass it to `App::client_keys`.
///
/// ```
/// use std::collections::HashMap;
/// use apiview_core::packer::ClientKeyStore;
///
/// let key = apiview_core::cipher::generate_private_key(1024).unwrap().to_public_key();
/// let store: HashMap<String, _> = HashMap::from([("demo".to_owned(), key)]);
/// assert!(store.public_key("demo").is_some() && store.public_key("other").is_none());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a store of client public keys",
    note = "pass a `HashMap<String, RsaPublicKey>` (client id to key), or implement `apiview::packer::ClientKeyStore` for it"
)]
pub trait ClientKeyStore: Send + Sync + 'static {
    /// The public key of client `client_id`, if it is known.
    fn public_key(&self, client_id: &str) -> Option<RsaPublicKey>;
}

impl ClientKeyStore for HashMap<String, RsaPublicKey> {
    fn public_key(&self, client_id: &str) -> Option<RsaPublicKey> {
        self.get(client_id).cloned()
    }
}

/// How long one AES key serves one client before a new one is made.
#[derive(Debug, Clone, Copy)]
pub struct KeyReuse {
    /// Longest life of a key.
    pub max_age: Duration,
    /// Most answers under one key (each with its own nonce).
    pub max_answers: u64,
}

impl Default for KeyReuse {
    fn default() -> Self {
        KeyReuse {
            max_age: Duration::from_secs(600),
            max_answers: 100_000,
        }
    }
}

struct Session {
    key: [u8; KEY_LEN],
    password: Arc<str>,
    created: Instant,
    answers: u64,
}

/// The simple envelope, encrypted for the calling client:
/// `{"encryptedPassword": B64(RSA-OAEP-SHA256(client key, k)), "encryptedData": B64(nonce ‖ AES-256-GCM(k, nonce, simple envelope JSON) ‖ tag)}`.
///
/// The client is named by the `clientId` request field (settings
/// `safe.client_id_field`). A request whose client is unknown gets a plain
/// simple-packed `AppAuthFailed`. Each client's AES key `k` is reused for a bounded
/// time and number of answers ([`KeyReuse`]); every answer has a fresh nonce, and
/// `encryptedPassword` repeats until the key rotates.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Arc;
/// use apiview_core::cipher::generate_private_key;
/// use apiview_core::packer::{Packer, SafePacker, UnpackContext};
///
/// let client_key = generate_private_key(1024).unwrap();
/// let store = HashMap::from([("demo".to_owned(), client_key.to_public_key())]);
/// let server = SafePacker::new(Arc::new(store), "clientId");
/// let packed = server.pack_for("demo", &serde_json::json!({"success": true, "result": "pong"})).unwrap();
///
/// let client = SafePacker::for_client(client_key);
/// let result = client.unpack(packed.to_string().as_bytes(), &UnpackContext::new()).unwrap();
/// assert_eq!(result, "pong");
/// ```
pub struct SafePacker {
    client_id_field: String,
    keys: Arc<dyn ClientKeyStore>,
    reuse: KeyReuse,
    sessions: Mutex<HashMap<String, Session>>,
    client_private: Option<RsaPrivateKey>,
}

impl SafePacker {
    /// A server-side packer: client keys from `keys`, the client named by the request
    /// field `client_id_field`.
    pub fn new(keys: Arc<dyn ClientKeyStore>, client_id_field: impl Into<String>) -> Self {
        SafePacker {
            client_id_field: client_id_field.into(),
            keys,
            reuse: KeyReuse::default(),
            sessions: Mutex::new(HashMap::new()),
            client_private: None,
        }
    }

    /// Sets how long a client's AES key is reused.
    ///
    /// ```
    /// use std::{collections::HashMap, sync::Arc, time::Duration};
    /// use apiview_core::packer::{KeyReuse, SafePacker};
    ///
    /// let key = apiview_core::cipher::generate_private_key(1024).unwrap();
    /// let keys = Arc::new(HashMap::from([("demo".to_owned(), key.to_public_key())]));
    /// let packer = SafePacker::new(keys.clone(), "clientId")
    ///     .key_reuse(KeyReuse { max_age: Duration::from_secs(60), max_answers: 1000 });
    /// let answer = serde_json::json!({"success": true, "result": 1});
    /// let first = packer.pack_for("demo", &answer).unwrap();
    /// let second = packer.pack_for("demo", &answer).unwrap();
    /// // The same AES key, so the same RSA-encrypted password, for the second answer...
    /// assert_eq!(first["encryptedPassword"], second["encryptedPassword"]);
    ///
    /// // ...but a new one for each answer when a key serves one answer only.
    /// let packer = SafePacker::new(keys, "clientId")
    ///     .key_reuse(KeyReuse { max_age: Duration::from_secs(60), max_answers: 1 });
    /// let first = packer.pack_for("demo", &answer).unwrap();
    /// let second = packer.pack_for("demo", &answer).unwrap();
    /// assert_ne!(first["encryptedPassword"], second["encryptedPassword"]);
    /// ```
    pub fn key_reuse(mut self, reuse: KeyReuse) -> Self {
        self.reuse = reuse;
        self
    }

    /// A client-side packer that unpacks answers with the client's private key.
    pub fn for_client(private: RsaPrivateKey) -> Self {
        SafePacker {
            client_private: Some(private),
            ..SafePacker::new(Arc::new(HashMap::new()), "clientId")
        }
    }

    /// Encrypts an already packed simple envelope for client `client_id`.
    pub fn pack_for(&self, client_id: &str, envelope: &Value) -> Result<Value, BizError> {
        let plaintext = serde_json::to_vec(envelope).map_err(|_| BizError::sys_error())?;
        self.seal_for(client_id, &plaintext)
    }

    /// Encrypts an envelope's JSON text for the client.
    fn seal_for(&self, client_id: &str, plaintext: &[u8]) -> Result<Value, BizError> {
        let public = self.keys.public_key(client_id).ok_or_else(|| {
            tracing::debug!(client_id, "safe packer: unknown client");
            BizError::app_auth_failed()
        })?;
        let (key, password) = self.session_key(client_id, &public)?;
        Ok(json!({
            "encryptedPassword": &*password,
            "encryptedData": cipher::seal(&key, plaintext),
        }))
    }

    fn session_key(
        &self,
        client_id: &str,
        public: &RsaPublicKey,
    ) -> Result<([u8; KEY_LEN], Arc<str>), BizError> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(session) = sessions.get_mut(client_id) {
            if session.answers < self.reuse.max_answers && session.created.elapsed() < self.reuse.max_age {
                session.answers += 1;
                return Ok((session.key, session.password.clone()));
            }
        }
        let key = cipher::random_key();
        let password: Arc<str> = cipher::encrypt_key(public, &key)
            .map_err(|err| {
                tracing::error!(client_id, %err, "safe packer: RSA encryption failed");
                BizError::sys_error()
            })?
            .into();
        sessions.insert(
            client_id.to_owned(),
            Session {
                key,
                password: password.clone(),
                created: Instant::now(),
                answers: 1,
            },
        );
        Ok((key, password))
    }

    fn client_of(&self, cx: &PackContext) -> Result<String, BizError> {
        let request = cx.request.ok_or_else(BizError::app_auth_failed)?;
        request
            .field(&self.client_id_field)
            .as_ref()
            .and_then(RawValue::as_str)
            .map(str::to_owned)
            .ok_or_else(BizError::app_auth_failed)
    }
}

impl Packer for SafePacker {
    fn pack_result(&self, result: Value, cx: &PackContext) -> Result<Value, BizError> {
        let client = self.client_of(cx)?;
        self.pack_for(&client, &SimplePacker.pack_result(result, cx)?)
    }

    fn pack_error(&self, error: &BizError, cx: &PackContext) -> Result<Value, BizError> {
        let client = self.client_of(cx)?;
        self.pack_for(&client, &SimplePacker.pack_error(error, cx)?)
    }

    fn write_result_json(&self, json: &[u8], cx: &PackContext, out: &mut Vec<u8>) -> Result<(), BizError> {
        let client = self.client_of(cx)?;
        let mut plaintext = Vec::with_capacity(json.len() + 32);
        SimplePacker.write_result_json(json, cx, &mut plaintext)?;
        write_json(&self.seal_for(&client, &plaintext)?, out)
    }

    fn unpack(&self, body: &[u8], cx: &UnpackContext) -> Result<Value, BizError> {
        let envelope: Map<String, Value> = match serde_json::from_slice(body) {
            Ok(Value::Object(fields)) => fields,
            _ => return Err(BizError::parse_json_error(body)),
        };
        let (Some(Value::String(password)), Some(Value::String(data))) =
            (envelope.get("encryptedPassword"), envelope.get("encryptedData"))
        else {
            // Not encrypted: the plain answer to an unknown client.
            return SimplePacker.unpack(body, cx);
        };
        let private = self.client_private.as_ref().ok_or_else(|| {
            tracing::error!("a server-side SafePacker cannot unpack: build it with SafePacker::for_client");
            BizError::sys_error()
        })?;
        let plaintext = cipher::decrypt_key(private, password)
            .and_then(|key| cipher::open(&key, data))
            .map_err(|err| {
                tracing::debug!(%err, "safe answer does not decrypt");
                BizError::bad_parameter_for("encryptedData", crate::error::reasons::UNDECRYPTABLE)
            })?;
        SimplePacker.unpack(&plaintext, cx)
    }

    fn envelope_schema(&self) -> Value {
        json!({
            "type": "object",
            "required": ["encryptedPassword", "encryptedData"],
            "properties": {
                "encryptedPassword": {"type": "string", "description": "base64(RSA-OAEP-SHA256(client public key, 32-byte AES key))"},
                "encryptedData": {"type": "string", "description": "base64(12-byte nonce ‖ AES-256-GCM ciphertext of the simple envelope ‖ 16-byte tag)"},
            },
        })
    }
}
