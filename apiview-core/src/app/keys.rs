//! The RSA keys settings and endpoints name, read from their PEM files once, when the
//! App is built.

use std::collections::HashMap;
use std::sync::Arc;

use rsa::RsaPrivateKey;

use super::{AppError, Entry};
use crate::cipher::{read_private_key, read_public_key};
use crate::packer::ClientKeyStore;
use crate::settings::Settings;

/// The RSA keys settings and endpoints name, loaded once at start-up.
pub(super) struct Keys {
    pub(super) server: Option<Arc<RsaPrivateKey>>,
    pub(super) rsa: HashMap<String, Arc<RsaPrivateKey>>,
    pub(super) client_keys: Option<Arc<dyn ClientKeyStore>>,
}

impl Keys {
    pub(super) fn load(settings: &Settings, entries: &[Entry]) -> Result<Keys, AppError> {
        let safe = &settings.safe;
        let server = match safe.server_private_key.as_str() {
            "" => None,
            path => Some(Arc::new(read_private_key(path).map_err(|err| {
                AppError(format!("settings key `safe.server_private_key`: {err}"))
            })?)),
        };
        let mut client_keys = HashMap::new();
        for (client, path) in &safe.client_public_keys {
            let key = read_public_key(path)
                .map_err(|err| AppError(format!("settings key `safe.client_public_keys.{client}`: {err}")))?;
            client_keys.insert(client.clone(), key);
        }
        let mut rsa = HashMap::new();
        for entry in entries {
            let meta = entry.meta;
            if (meta.decode_encrypted_data || meta.rsa_decrypt_server_key) && server.is_none() {
                return Err(AppError(format!(
                    "endpoint `{}` decrypts with the server key (#[decode_encrypted_data] or #[rsa_decrypt]); \
                     set settings key `safe.server_private_key` to its PEM file",
                    meta.name
                )));
            }
            for path in meta.rsa_keys {
                if !rsa.contains_key(*path) {
                    let key = read_private_key(path).map_err(|err| {
                        AppError(format!(
                            "#[rsa_decrypt(key = ..)] of endpoint `{}`: {err}",
                            meta.name
                        ))
                    })?;
                    rsa.insert((*path).to_owned(), Arc::new(key));
                }
            }
        }
        Ok(Keys {
            server,
            rsa,
            client_keys: (!client_keys.is_empty()).then(|| Arc::new(client_keys) as Arc<dyn ClientKeyStore>),
        })
    }
}
