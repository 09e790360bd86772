//! An operation's responses: the `@response` blocks and every error the endpoint's
//! helpers can raise, each as a real answer packed by the endpoint's own packer.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use apiview_core::error::codes;
use apiview_core::meta::PageStyle;
use apiview_core::packer::{PackContext, Packer, SimplePacker};
use apiview_core::settings::HttpStatusMode;
use apiview_core::{AuthUse, CheckMeta, EndpointMeta};
use apiview_core::{BizError, ErrorClass, Settings};
use poem::http::StatusCode;
use serde_json::{json, Map, Value};

use crate::infer::Field;

/// The request id shown in packed examples (the deetr packer's `reqid`).
const SAMPLE_REQUEST_ID: &str = "67aa6f147d074c2c8bed121c1994f80d";

/// A value no real answer holds, packed to find where a packer puts the result.
const PROBE_RESULT: &str = "__apiview_result_slot__";
/// An error code no catalogue uses, packed to find where a packer puts the code.
const PROBE_CODE: i64 = 7_919_191_919;

/// An endpoint's packer and where the document holds its envelope schema.
pub(crate) struct Envelope {
    pub packer: Arc<dyn Packer>,
    /// `{"$ref": "#/components/schemas/…Envelope"}`.
    pub reference: Value,
    /// Where the packer puts the result (`["result"]`, `["data"]`), found by packing
    /// a probe; `None` when the envelope hides it (the safe packer encrypts it).
    result_path: Option<Vec<String>>,
    /// Where it puts an error's code (`["error", "code"]`, `["errcode"]`).
    code_path: Option<Vec<String>>,
    /// What a result carries at the code's place, if anything (deetr's `errcode: 0`).
    success_code: Option<Value>,
}

impl Envelope {
    /// The envelope of `packer`, its schema at `reference`. Where the result and the
    /// code go is found by packing probes, so a user's packer is typed as the
    /// built-in ones are.
    pub(crate) fn new(packer: Arc<dyn Packer>, reference: Value) -> Self {
        let cx = PackContext::detached(SAMPLE_REQUEST_ID);
        let result = packer.pack_result(json!(PROBE_RESULT), &cx).ok();
        let error = packer
            .pack_error(&BizError::new(PROBE_CODE, String::new()), &cx)
            .ok();
        let result_path = result
            .as_ref()
            .and_then(|packed| find(packed, &json!(PROBE_RESULT)));
        let code_path = error.as_ref().and_then(|packed| find(packed, &json!(PROBE_CODE)));
        let success_code = match (&result, &code_path) {
            (Some(packed), Some(path)) => path.iter().try_fold(packed, |value, key| value.get(key)).cloned(),
            _ => None,
        };
        Envelope {
            packer,
            reference,
            result_path,
            code_path,
            success_code,
        }
    }

    /// The schema of an answer: the envelope, with the result typed by `result`
    /// and the code limited to `codes` where the packer lets the document say so; an
    /// `open` list (user code may answer codes of its own) admits any other integer
    /// too, so that a client checking the `enum` does not refuse such an answer.
    fn schema(&self, ok: bool, result: Option<&Value>, codes: &[i64], open: bool) -> Value {
        let mut overlay = Value::Null;
        if let (Some(path), Some(result)) = (&self.result_path, result) {
            if !crate::schema::is_any(result) {
                place(&mut overlay, path, result.clone());
            }
        }
        if let (Some(path), false) = (&self.code_path, codes.is_empty()) {
            let mut values: Vec<Value> = Vec::new();
            if ok {
                values.extend(self.success_code.clone());
            }
            for code in codes {
                let code = json!(code);
                if !values.contains(&code) {
                    values.push(code);
                }
            }
            let known = json!({"type": "integer", "enum": values});
            let code = if open {
                json!({"anyOf": [known, {"type": "integer"}]})
            } else {
                known
            };
            place(&mut overlay, path, code);
        }
        if overlay.is_null() {
            self.reference.clone()
        } else {
            json!({"allOf": [self.reference, overlay]})
        }
    }

    /// `data` packed as the client would receive it. A packer that cannot pack
    /// without a request (safe: it encrypts for the calling client) shows the simple
    /// envelope it would encrypt; the flag says so.
    fn pack(&self, data: Result<Value, &BizError>, settings: &Settings) -> (Value, bool) {
        let mut cx = PackContext::detached(SAMPLE_REQUEST_ID);
        cx.language = settings.language;
        let packed = match &data {
            Ok(value) => self.packer.pack_result(value.clone(), &cx),
            Err(error) => self.packer.pack_error(error, &cx),
        };
        match packed {
            Ok(packed) => (packed, false),
            Err(_) => {
                let plain = match data {
                    Ok(value) => SimplePacker.pack_result(value, &cx),
                    Err(error) => SimplePacker.pack_error(error, &cx),
                };
                (plain.unwrap_or(Value::Null), true)
            }
        }
    }
}

/// Where `needle` sits in `value`, as object keys.
fn find(value: &Value, needle: &Value) -> Option<Vec<String>> {
    if value == needle {
        return Some(Vec::new());
    }
    let Value::Object(fields) = value else { return None };
    fields.iter().find_map(|(key, child)| {
        find(child, needle).map(|mut path| {
            path.insert(0, key.clone());
            path
        })
    })
}

/// `schema` at `path` in an object schema being built.
fn place(overlay: &mut Value, path: &[String], schema: Value) {
    let Some((first, rest)) = path.split_first() else {
        *overlay = schema;
        return;
    };
    if !overlay.is_object() {
        *overlay = json!({"type": "object", "properties": {}});
    }
    let child = &mut overlay["properties"][first];
    place(child, rest, schema);
}

/// The responses of one operation of `meta`, its result described by `result`
/// (`None`: a `Raw` answer, described by its `@response` blocks).
pub(crate) fn responses(
    meta: &EndpointMeta,
    result: Option<&Value>,
    fields: &[Field],
    envelope: &Envelope,
    settings: &Settings,
    takes_body: bool,
    version_param: Option<&str>,
) -> Value {
    let mut statuses: BTreeMap<u16, Status> = BTreeMap::new();
    let mut documented_codes = HashSet::new();
    for response in meta.spec.responses {
        let data: Value = serde_json::from_str(response.example).unwrap_or(Value::Null);
        let status = statuses.entry(response.status).or_default();
        status.ok |= response.ok;
        if !response.description.is_empty() && !status.descriptions.iter().any(|d| d == response.description)
        {
            status.descriptions.push(response.description.to_owned());
        }
        let name = match (response.description, response.ok) {
            ("", true) => "OK".to_owned(),
            ("", false) => format!("error {}", data["code"]),
            (description, _) => description.to_owned(),
        };
        let (packed, plaintext) = if response.ok {
            envelope.pack(Ok(data), settings)
        } else {
            let code = data.get("code").and_then(Value::as_i64).unwrap_or(0);
            let message = data
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            documented_codes.insert((code, response.status));
            status.codes.push(code);
            envelope.pack(Err(&BizError::new(code, message)), settings)
        };
        status.example(name.clone(), name, packed, plaintext);
    }
    let semantic = settings.http_status == HttpStatusMode::Semantic;
    let page_style = meta
        .paginate
        .map(|paginate| paginate.style.unwrap_or_else(|| settings.pagination.page_style()));
    let implied = implied_errors(
        meta,
        fields,
        takes_body,
        settings.body_limit,
        page_style,
        version_param,
        throttle_note(meta, settings).is_some(),
    );
    for (error, field) in implied {
        let status = if semantic {
            semantic_status(error.class())
        } else {
            200
        };
        // Documented by the author under the status it is answered with: shown once.
        if documented_codes.contains(&(error.code(), status)) {
            continue;
        }
        let error_name = error.name().unwrap_or("error");
        let name = match &field {
            Some(field) => format!("{error_name} ({field})"),
            None => error_name.to_owned(),
        };
        let summary = format!(
            "{error_name} {}: {}",
            error.code(),
            error.message_in(settings.language)
        );
        let (packed, plaintext) = envelope.pack(Err(&error), settings);
        let status = statuses.entry(status).or_default();
        status.errors = true;
        status.codes.push(error.code());
        status.example(name, summary, packed, plaintext);
    }
    statuses.entry(200).or_default();
    let mut out = Map::new();
    for (code, status) in statuses {
        let mut description = status.descriptions.join(" / ");
        if let (200, Some(media_type), true) = (code, meta.content_type, description.is_empty()) {
            description = format!("The answer, {media_type}; an error is packed as JSON (see the examples)");
        } else if code == 200 && status.errors && (status.ok || description.is_empty()) {
            // Business errors share HTTP 200 with results (django-apiview's rule).
            if description.is_empty() {
                description = "The packed result".to_owned();
            }
            description.push_str(", or an error packed the same way (see the examples)");
        } else if description.is_empty() {
            description = StatusCode::from_u16(code)
                .ok()
                .and_then(|c| c.canonical_reason())
                .unwrap_or("Response")
                .to_owned();
        }
        let mut media = Map::new();
        // A `Raw` answer of a declared type is not in the JSON: only errors are.
        let ok = (code == 200 || status.ok) && meta.content_type.is_none();
        media.insert(
            "schema".into(),
            envelope.schema(ok, result.filter(|_| ok), &status.codes, meta.fallible),
        );
        if !status.examples.is_empty() {
            media.insert("examples".into(), Value::Object(status.examples));
        }
        let mut headers = json!({
            "X-Request-Id": {
                "description": "The request's own X-Request-Id, or a new 32-hex id.",
                "schema": {"type": "string"},
            },
        });
        if status.codes.contains(&codes::TOO_MANY_REQUESTS.code) {
            headers["Retry-After"] = json!({
                "description": "With TooManyRequests: the seconds to wait before the next call is admitted.",
                "schema": {"type": "integer", "minimum": 1},
            });
        }
        let mut content = Map::new();
        // A `Raw` answer of a declared type: the success is that, an error the packed
        // JSON.
        if let (200, Some(media_type)) = (code, meta.content_type) {
            content.insert(media_type.into(), json!({"schema": raw_schema(media_type)}));
        }
        content.insert("application/json".into(), Value::Object(media));
        out.insert(
            code.to_string(),
            json!({
                "description": description,
                "headers": headers,
                "content": content,
            }),
        );
    }
    Value::Object(out)
}

/// The schema of a `Raw` answer's body: text for `text/*` and the XML and JSON
/// families, bytes otherwise.
fn raw_schema(media_type: &str) -> Value {
    let text = media_type.starts_with("text/")
        || media_type.ends_with("+xml")
        || media_type.ends_with("/xml")
        || media_type.ends_with("+json");
    if text {
        json!({"type": "string"})
    } else {
        json!({"type": "string", "format": "binary"})
    }
}

#[derive(Default)]
struct Status {
    descriptions: Vec<String>,
    examples: Map<String, Value>,
    /// Whether a documented result is answered with it.
    ok: bool,
    /// Whether implied errors are.
    errors: bool,
    /// The codes of the errors answered with it.
    codes: Vec<i64>,
}

impl Status {
    fn example(&mut self, name: String, summary: String, value: Value, plaintext: bool) {
        let mut key = name.clone();
        let mut n = 2;
        while self.examples.contains_key(&key) {
            key = format!("{name} ({n})");
            n += 1;
        }
        let summary = if plaintext {
            format!("{summary} (the simple envelope, before the packer encrypts it for the client)")
        } else {
            summary
        };
        self.examples
            .insert(key, json!({"summary": summary, "value": value}));
    }
}

/// Every error the endpoint's helpers can raise, with the field it is about.
fn implied_errors(
    meta: &EndpointMeta,
    fields: &[Field],
    takes_body: bool,
    body_limit: u64,
    page_style: Option<PageStyle>,
    version_param: Option<&str>,
    throttled: bool,
) -> Vec<(BizError, Option<String>)> {
    let mut errors = Vec::new();
    if let Some(field) = fields.iter().find(|f| f.required) {
        errors.push((BizError::missing_parameter(&field.name), Some(field.name.clone())));
    } else if meta.checks_aclkey {
        errors.push((BizError::missing_parameter("aclkey"), Some("aclkey".to_owned())));
    }
    if let Some(field) = fields.iter().find(|f| f.typed()) {
        errors.push((
            BizError::bad_parameter_type(&field.name),
            Some(field.name.clone()),
        ));
    }
    let mut checked = HashSet::new();
    for check in meta.checks {
        match check {
            CheckMeta::Choices { field, .. } | CheckMeta::Between { field, .. } => {
                if checked.insert(*field) {
                    errors.push((BizError::bad_parameter(field), Some((*field).to_owned())));
                }
            }
            CheckMeta::StringLength {
                field,
                min_length,
                max_length,
            } => {
                if let Some(min) = min_length.filter(|min| *min > 0) {
                    errors.push((BizError::string_too_short(min), Some((*field).to_owned())));
                }
                if let Some(max) = max_length {
                    errors.push((BizError::string_too_long(*max), Some((*field).to_owned())));
                }
            }
            CheckMeta::Requires { .. } => {}
        }
    }
    // `#[paginate]`: a bad page, size, offset or cursor (found by scripts/fuzz-http.sh).
    if let Some(style) = page_style {
        let position = style.query_params()[0];
        errors.push((BizError::bad_parameter(position), Some(position.to_owned())));
    }
    // `[versioning]`: a version not allowed, or one the endpoint does not exist in.
    if let Some(param) = version_param {
        errors.push((BizError::bad_parameter(param), Some(param.to_owned())));
    }
    if meta.checks_aclkey {
        errors.push((BizError::app_auth_failed(), None));
    }
    // DESIGN §14: no caller where one is required; bad credentials wherever they are read.
    if meta.auth == AuthUse::Required {
        errors.push((BizError::login_required(), None));
    }
    if meta.auth != AuthUse::None {
        errors.push((BizError::bad_user_token(), None));
    }
    if !meta.permissions.is_empty() {
        errors.push((BizError::no_permission(), None));
    }
    errors.push((BizError::not_supported_http_method(), None));
    // `#[throttle]` or `throttle.default_rate` (DESIGN §13).
    if throttled {
        errors.push((BizError::too_many_requests(60), None));
    }
    if meta.cache.is_some_and(|cache| !cache.ignore_errors) {
        errors.push((BizError::cache_error(), None));
    }
    if takes_body {
        errors.push((BizError::parse_json_error(b"{"), None));
        // A form body that is malformed or not UTF-8 (found by scripts/fuzz-http.sh).
        errors.push((
            BizError::bad_parameter_because("_payload", "the multipart/form-data body is malformed"),
            Some("_payload".to_owned()),
        ));
        errors.push((BizError::too_large_request(body_limit + 1, body_limit), None));
    }
    errors.push((BizError::sys_error(), None));
    errors
}

/// What the operation's description says of its throttle (DESIGN §13): its rates
/// and what each counts by (`Throttled: 10/m per client address.`); `None` when it
/// is not throttled.
pub(crate) fn throttle_note(meta: &EndpointMeta, settings: &Settings) -> Option<String> {
    let per = |key: &str| {
        if key == "{ip}" {
            "per client address".to_owned()
        } else {
            format!("per `{key}`")
        }
    };
    let rates: Vec<String> = if meta.throttles.is_empty() {
        let rate = apiview_grammar::Rate::parse(&settings.throttle.default_rate).ok()?;
        vec![format!("{rate} {}", per("{ip}"))]
    } else {
        meta.throttles
            .iter()
            .map(|throttle| {
                // The default scope is the function's path: the endpoint's own counter.
                let own = throttle
                    .scope
                    .strip_prefix(meta.module_path)
                    .and_then(|rest| rest.strip_prefix("::"))
                    == Some(meta.name);
                let scope = if own {
                    String::new()
                } else {
                    format!(" (shared scope `{}`)", throttle.scope)
                };
                format!("{} {}{scope}", throttle.rate, per(throttle.key))
            })
            .collect()
    };
    Some(format!(
        "Throttled: {}. Over it: TooManyRequests (1001010007) with a Retry-After header.",
        rates.join("; ")
    ))
}

/// The HTTP status of an error with `http_status = "semantic"` (the runtime's mapping).
fn semantic_status(class: ErrorClass) -> u16 {
    match class {
        ErrorClass::Parameter => 400,
        ErrorClass::Auth => 403,
        ErrorClass::Unauthenticated => 401,
        ErrorClass::NotFound => 404,
        ErrorClass::Method => 405,
        ErrorClass::TooLarge => 413,
        ErrorClass::TooManyRequests => 429,
        ErrorClass::System => 500,
        ErrorClass::Business => 200,
    }
}
