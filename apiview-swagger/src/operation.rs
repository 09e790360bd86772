//! One operation: the endpoint for one method, its parameters and request body
//! from the `@parameter` blocks and, for what they leave out, from the code.

use apiview_core::Settings;
use apiview_core::{AuthUse, EndpointMeta};
use apiview_grammar::Method;
use serde_json::{json, Map, Value};

use crate::infer::{Field, FieldKind};
use crate::responses::{responses, throttle_note, Envelope};
use crate::schema::{enrich, from_doc, is_any, VALUE_KEYS};
use crate::versions::DocVersion;

/// What every operation of one endpoint shares.
pub(crate) struct Endpoint<'a> {
    pub meta: &'static EndpointMeta,
    /// The names in the path template (`/users/{id}` → `id`).
    pub path_params: &'a [String],
    pub fields: &'a [Field],
    pub envelope: &'a Envelope,
    /// The schema of the function's result, `None` for a `Raw` answer.
    pub result: Option<&'a Value>,
    pub settings: &'a Settings,
    pub tag: &'a str,
    /// The API version the document describes (DESIGN §16), when versioning is on.
    pub version: Option<DocVersion<'a>>,
}

/// A `@parameter` block: its name, `in:` and YAML fields.
struct DocParam {
    name: &'static str,
    location: &'static str,
    spec: Map<String, Value>,
}

/// The operation for `method` (lower case).
pub(crate) fn operation(endpoint: &Endpoint, method: &str, operation_id: String) -> Value {
    let meta = endpoint.meta;
    // Methods with a defined request body get one; for the others the fields are
    // query parameters (the server reads a field from either).
    let takes_body = Method::parse(method).is_some_and(Method::takes_body);
    let (mut parameters, body) = request(endpoint, takes_body);
    parameters.extend(crate::paginate::page_parameters(meta, endpoint.settings));
    if let Some(version) = endpoint.version.as_ref().and_then(DocVersion::parameter) {
        // The version's own parameter replaces one the code or the doc gave the same name.
        parameters.retain(|p| !(p["name"] == version["name"] && p["in"] == version["in"]));
        parameters.push(version);
    }
    let mut operation = Map::new();
    operation.insert("tags".into(), json!([endpoint.tag]));
    if !meta.summary.is_empty() {
        operation.insert("summary".into(), json!(meta.summary));
    }
    let description = match throttle_note(meta, endpoint.settings) {
        Some(note) if meta.description.is_empty() => note,
        Some(note) => format!("{}\n\n{note}", meta.description),
        None => meta.description.to_owned(),
    };
    if !description.is_empty() {
        operation.insert("description".into(), json!(description));
    }
    operation.insert("operationId".into(), json!(operation_id));
    if !parameters.is_empty() {
        operation.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some(security) = security(meta) {
        operation.insert("security".into(), security);
    }
    // Body errors are documented wherever the server reads a body, a GET's included
    // (it reads fields from one too): those are statuses it answers.
    let reads_body = body.is_some() || meta.reads_body || meta.decode_encrypted_data;
    if let Some(body) = body {
        operation.insert("requestBody".into(), body);
    }
    operation.insert(
        "responses".into(),
        responses(
            meta,
            endpoint.result,
            endpoint.fields,
            endpoint.envelope,
            endpoint.settings,
            reads_body,
            endpoint.version.map(|version| version.param),
        ),
    );
    Value::Object(operation)
}

fn doc_params(meta: &EndpointMeta) -> Vec<DocParam> {
    meta.spec
        .parameters
        .iter()
        .map(|param| DocParam {
            name: param.name,
            location: param.location,
            spec: match serde_json::from_str(param.spec) {
                Ok(Value::Object(spec)) => spec,
                _ => Map::new(),
            },
        })
        .collect()
}

fn request(endpoint: &Endpoint, takes_body: bool) -> (Vec<Value>, Option<Value>) {
    let docs = doc_params(endpoint.meta);
    let field_named = |name: &str| endpoint.fields.iter().find(|f| f.name == name || f.param == name);
    let documented = |field: &Field| {
        docs.iter()
            .any(|doc| doc.name == field.name || doc.name == field.param)
            || (field.kind == FieldKind::Payload && docs.iter().any(|doc| doc.location == "body"))
    };
    let mut parameters = Vec::new();
    let mut json_doc: Option<&DocParam> = None;
    let mut form = BodyFields::default();
    for doc in &docs {
        // The key `#[check_aclkey]` reads is the operation's security scheme.
        if Some(doc.name) == endpoint.meta.aclkey_field && !matches!(doc.location, "body" | "formData") {
            continue;
        }
        let field = field_named(doc.name);
        match doc.location {
            "body" if takes_body => {
                json_doc.get_or_insert(doc);
            }
            "body" => {}
            "formData" if takes_body => form.add_documented(doc, field),
            "formData" => parameters.push(documented_parameter(doc, "query", field)),
            "path" if !endpoint.path_params.iter().any(|p| p == doc.name) => {
                parameters.push(documented_parameter(doc, "query", field));
            }
            location => parameters.push(documented_parameter(doc, location, field)),
        }
    }
    let mut inferred = BodyFields::default();
    let mut payload = None;
    for field in endpoint.fields.iter().filter(|field| !documented(field)) {
        match field.kind {
            FieldKind::Named if endpoint.path_params.contains(&field.name) => {
                parameters.push(inferred_parameter(field, "path"));
            }
            FieldKind::Named if takes_body => inferred.add_inferred(field),
            // A file is sent in a multipart body, which this method has none of.
            FieldKind::Named if field.is_file() => {}
            FieldKind::Named => parameters.push(inferred_parameter(field, "query")),
            FieldKind::Payload if takes_body => payload = Some(field),
            FieldKind::Payload => {}
            FieldKind::Cookie => parameters.push(inferred_parameter(field, "cookie")),
            FieldKind::Header => parameters.push(inferred_parameter(field, "header")),
        }
    }
    for name in endpoint.path_params {
        let known = parameters
            .iter()
            .any(|p| p["in"] == "path" && p["name"] == name.as_str());
        if !known {
            parameters
                .push(json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}));
        }
    }
    if !takes_body {
        return (parameters, None);
    }
    let mut content = Map::new();
    let mut required = form.required() || inferred.required() || payload.is_some_and(|p| p.required);
    let mut description = None;
    let inferred_object = (!inferred.properties.is_empty()).then(|| inferred.schema());
    if let Some(doc) = json_doc {
        let mut schema = doc_schema(&doc.spec);
        if is_any(&schema) {
            if let Some(payload) = field_named(doc.name).filter(|f| f.kind == FieldKind::Payload) {
                schema = payload.schema.clone();
            } else if let Some(object) = &inferred_object {
                schema = object.clone();
            }
        }
        let mut media = json!({"schema": schema});
        if let Some(example) = doc.spec.get("example") {
            media["example"] = example.clone();
        }
        content.insert("application/json".into(), media);
        if let Some(Value::Bool(flag)) = doc.spec.get("required") {
            required = *flag;
        }
        description = doc.spec.get("description").filter(|d| d.is_string()).cloned();
    } else if let Some(payload) = payload {
        content.insert("application/json".into(), json!({"schema": payload.schema}));
    } else if let (Some(object), true, false) = (&inferred_object, form.properties.is_empty(), inferred.files)
    {
        content.insert("application/json".into(), json!({"schema": object}));
    } else if let (Some(fields), true) = (inferred.without_optional_files(), form.properties.is_empty()) {
        // Optional files (`Option<Upload>`, `Vec<Upload>`): the other fields may come
        // as JSON too, beside the multipart body that carries the files.
        content.insert("application/json".into(), json!({"schema": fields.schema()}));
    }
    if !form.properties.is_empty() || (json_doc.is_none() && payload.is_none() && inferred_object.is_some()) {
        if json_doc.is_none() && payload.is_none() {
            form.merge(inferred);
        }
        let media_type = if form.files {
            "multipart/form-data"
        } else {
            "application/x-www-form-urlencoded"
        };
        content.insert(media_type.into(), json!({"schema": form.schema()}));
    }
    if content.is_empty() {
        return (parameters, None);
    }
    let mut body = Map::new();
    if let Some(description) = description {
        body.insert("description".into(), description);
    }
    body.insert("required".into(), json!(required));
    body.insert("content".into(), Value::Object(content));
    (parameters, Some(Value::Object(body)))
}

/// The fields of a request body object.
#[derive(Default)]
struct BodyFields {
    properties: Map<String, Value>,
    required: Vec<String>,
    files: bool,
}

impl BodyFields {
    fn add_documented(&mut self, doc: &DocParam, field: Option<&Field>) {
        let mut schema = doc_schema(&doc.spec);
        if let Some(field) = field {
            enrich(&mut schema, &field.schema);
        }
        if let Value::Object(fields) = &mut schema {
            if let Some(description) = doc.spec.get("description").filter(|d| d.is_string()) {
                fields.insert("description".into(), description.clone());
            }
            if let Some(example) = doc.spec.get("example") {
                fields.insert("examples".into(), json!([example]));
            }
        }
        self.files |= schema.get("format") == Some(&json!("binary"));
        let required = match doc.spec.get("required") {
            Some(Value::Bool(flag)) => *flag,
            _ => field.is_some_and(|f| f.required),
        };
        self.insert(doc.name, schema, required);
    }

    fn add_inferred(&mut self, field: &Field) {
        self.files |= field.is_file();
        let mut schema = field.schema.clone();
        if let (Value::Object(fields), false) = (&mut schema, field.notes.is_empty()) {
            fields.insert("description".into(), json!(field.notes.join(" ")));
        }
        self.insert(&field.name, schema, field.required);
    }

    fn insert(&mut self, name: &str, schema: Value, required: bool) {
        if required && !self.required.iter().any(|r| r == name) {
            self.required.push(name.to_owned());
        }
        self.properties.insert(name.to_owned(), schema);
    }

    fn merge(&mut self, other: BodyFields) {
        for (name, schema) in other.properties {
            if !self.properties.contains_key(&name) {
                let required = other.required.contains(&name);
                self.insert(&name, schema, required);
            }
        }
        self.files |= other.files;
    }

    fn required(&self) -> bool {
        !self.required.is_empty()
    }

    /// The fields but the files, when there are files, none of them required, and
    /// other fields: what a JSON body may carry.
    fn without_optional_files(&self) -> Option<BodyFields> {
        let is_file = |schema: &Value| {
            let binary = |schema: &Value| schema.get("format") == Some(&json!("binary"));
            binary(schema) || schema.get("items").is_some_and(binary)
        };
        let files: Vec<&String> = self
            .properties
            .iter()
            .filter(|(_, schema)| is_file(schema))
            .map(|(name, _)| name)
            .collect();
        if files.is_empty() || files.iter().any(|name| self.required.contains(name)) {
            return None;
        }
        let rest = BodyFields {
            properties: self
                .properties
                .iter()
                .filter(|(name, _)| !files.contains(name))
                .map(|(name, schema)| (name.clone(), schema.clone()))
                .collect(),
            required: self.required.clone(),
            files: false,
        };
        (!rest.properties.is_empty()).then_some(rest)
    }

    fn schema(&self) -> Value {
        let mut schema = json!({"type": "object", "properties": self.properties});
        if !self.required.is_empty() {
            schema["required"] = json!(self.required);
        }
        schema
    }
}

/// The schema of a `@parameter` block: its `schema`, or its Swagger 2.0 value keys
/// (`type`, `enum`, `minimum`, …), as 3.1.
fn doc_schema(spec: &Map<String, Value>) -> Value {
    let mut schema = match spec.get("schema") {
        Some(schema @ (Value::Object(_) | Value::Bool(_))) => schema.clone(),
        _ => {
            let fields: Map<String, Value> = VALUE_KEYS
                .iter()
                .filter_map(|key| spec.get(*key).map(|value| ((*key).to_owned(), value.clone())))
                .collect();
            Value::Object(fields)
        }
    };
    from_doc(&mut schema);
    schema
}

/// A parameter described by a `@parameter` block, completed from the code: what the
/// block leaves out of the schema and `required`.
fn documented_parameter(doc: &DocParam, location: &str, field: Option<&Field>) -> Value {
    let spec = &doc.spec;
    let mut parameter = Map::new();
    parameter.insert("name".into(), json!(doc.name));
    parameter.insert("in".into(), json!(location));
    match spec.get("description") {
        Some(description @ Value::String(_)) => {
            parameter.insert("description".into(), description.clone());
        }
        _ => {
            if let Some(field) = field.filter(|f| !f.notes.is_empty()) {
                parameter.insert("description".into(), json!(field.notes.join(" ")));
            }
        }
    }
    let required = location == "path"
        || match spec.get("required") {
            Some(Value::Bool(flag)) => *flag,
            _ => field.is_some_and(|f| f.required),
        };
    parameter.insert("required".into(), json!(required));
    for key in ["deprecated", "style", "explode", "example"] {
        if let Some(value) = spec.get(key) {
            parameter.insert(key.into(), value.clone());
        }
    }
    if location == "query" {
        for key in ["allowEmptyValue", "allowReserved"] {
            if let Some(value @ Value::Bool(_)) = spec.get(key) {
                parameter.insert(key.into(), value.clone());
            }
        }
    }
    if let Some(examples @ Value::Object(_)) = spec.get("examples") {
        parameter.insert("examples".into(), examples.clone());
    }
    match spec.get("content") {
        Some(Value::Object(content)) if content.len() == 1 => {
            let mut content = content.clone();
            for media in content.values_mut() {
                if let Some(schema) = media.get_mut("schema") {
                    from_doc(schema);
                }
            }
            parameter.insert("content".into(), Value::Object(content));
        }
        _ => {
            let mut schema = doc_schema(spec);
            if let Some(field) = field {
                enrich(&mut schema, &field.schema);
            }
            parameter.insert("schema".into(), schema);
        }
    }
    for (key, value) in spec {
        if key.starts_with("x-") {
            parameter.insert(key.clone(), value.clone());
        }
    }
    Value::Object(parameter)
}

/// A parameter only the code describes.
fn inferred_parameter(field: &Field, location: &str) -> Value {
    let mut parameter = Map::new();
    parameter.insert("name".into(), json!(field.name));
    parameter.insert("in".into(), json!(location));
    if !field.notes.is_empty() {
        parameter.insert("description".into(), json!(field.notes.join(" ")));
    }
    parameter.insert("required".into(), json!(location == "path" || field.required));
    parameter.insert("schema".into(), field.schema.clone());
    Value::Object(parameter)
}

/// The name, in `components/securitySchemes`, of the bearer token scheme (DESIGN §14).
pub(crate) const BEARER_SCHEME: &str = "bearer";

/// The operation's `security`: its aclkey and the bearer token, both required
/// together (one requirement object); with an optional login, the same without the
/// token as an alternative.
fn security(meta: &EndpointMeta) -> Option<Value> {
    let mut required = Map::new();
    if let Some(field) = meta.aclkey_field {
        required.insert(aclkey_scheme(field), json!([]));
    }
    let without_token = Value::Object(required.clone());
    if meta.auth != AuthUse::None {
        required.insert(BEARER_SCHEME.to_owned(), json!([]));
    }
    match meta.auth {
        _ if required.is_empty() => None,
        AuthUse::Optional => Some(json!([without_token, required])),
        _ => Some(json!([required])),
    }
}

/// The name, in `components/securitySchemes`, of the `apiKey` scheme of an aclkey
/// read from `field`: `aclkey` for the default field.
pub(crate) fn aclkey_scheme(field: &str) -> String {
    if field == "aclkey" {
        field.to_owned()
    } else {
        format!("aclkey_{field}")
    }
}
