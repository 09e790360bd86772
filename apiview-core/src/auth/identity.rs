//! [`Identity`]: who sent a request.

use std::fmt;
use std::sync::Arc;

use serde::ser::SerializeStruct;
use serde_json::Value;

/// Who sent a request, as the App's authenticator found it: an id (a bearer token's
/// `sub`) and the claims it holds. Cheap to clone (one reference count).
///
/// An endpoint takes it by type: `me: Identity` (or `&Identity`) makes logging in
/// required, `me: Option<Identity>` optional. It serializes as `{"id", "claims"}`.
///
/// ```
/// use apiview::Identity;
/// use serde_json::json;
///
/// let me = Identity::new("ann", json!({"sub": "ann", "role": "admin"}));
/// assert_eq!(me.id(), "ann");
/// assert_eq!(me.claim("role"), Some(&json!("admin")));
/// assert_eq!(serde_json::to_value(&me).unwrap(), json!({"id": "ann", "claims": {"sub": "ann", "role": "admin"}}));
/// ```
#[derive(Clone, PartialEq)]
pub struct Identity(Arc<Inner>);

#[derive(PartialEq)]
struct Inner {
    id: String,
    claims: Value,
}

impl Identity {
    /// An identity with this id and claims.
    ///
    /// ```
    /// let me = apiview::Identity::new("42", serde_json::Value::Null);
    /// assert_eq!((me.id(), me.claims()), ("42", &serde_json::Value::Null));
    /// ```
    pub fn new(id: impl Into<String>, claims: Value) -> Self {
        Identity(Arc::new(Inner {
            id: id.into(),
            claims,
        }))
    }

    /// The id: a bearer token's `sub`.
    ///
    /// ```
    /// assert_eq!(apiview::Identity::new("ann", serde_json::json!({})).id(), "ann");
    /// ```
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// Every claim, as JSON: a bearer token's whole payload.
    ///
    /// ```
    /// let me = apiview::Identity::new("ann", serde_json::json!({"exp": 1}));
    /// assert_eq!(me.claims()["exp"], 1);
    /// ```
    pub fn claims(&self) -> &Value {
        &self.0.claims
    }

    /// One claim, when the claims are an object that has it.
    ///
    /// ```
    /// let me = apiview::Identity::new("ann", serde_json::json!({"role": "admin"}));
    /// assert_eq!(me.claim("role").and_then(|role| role.as_str()), Some("admin"));
    /// assert_eq!(me.claim("scope"), None);
    /// ```
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.0.claims.get(name)
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("id", &self.0.id)
            .field("claims", &self.0.claims)
            .finish()
    }
}

impl serde::Serialize for Identity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("Identity", 2)?;
        out.serialize_field("id", &self.0.id)?;
        out.serialize_field("claims", &self.0.claims)?;
        out.end()
    }
}

/// `{"id": string, "claims": object}`: the OpenAPI document types an endpoint that
/// answers its caller (DESIGN §17).
impl schemars::JsonSchema for Identity {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Identity".into()
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "Who sent the request: `id` is the bearer token's `sub`, `claims` its payload.",
            "properties": {
                "id": {"type": "string"},
                "claims": {"type": "object"},
            },
            "required": ["id", "claims"],
        })
    }
}
