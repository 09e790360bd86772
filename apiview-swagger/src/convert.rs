//! The 3.1 document as an equivalent OpenAPI 3.0.3 one, for older code generators:
//! what JSON Schema 2020-12 says that the 3.0 Schema Object cannot is said its way
//! (`nullable`, a single `example`, boolean `exclusiveMinimum`) or dropped.

use serde_json::{json, Map, Value};

use crate::schema::for_each_subschema;

/// The keywords of an OpenAPI 3.0 Schema Object (besides `x-` extensions).
const SCHEMA_KEYS_3_0: &[&str] = &[
    "$ref",
    "title",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "required",
    "enum",
    "type",
    "not",
    "allOf",
    "oneOf",
    "anyOf",
    "items",
    "properties",
    "additionalProperties",
    "description",
    "format",
    "default",
    "nullable",
    "discriminator",
    "readOnly",
    "writeOnly",
    "xml",
    "externalDocs",
    "example",
    "deprecated",
];

/// Rewrites a 3.1 document built by this crate as OpenAPI 3.0.3.
pub(crate) fn to_3_0(document: &mut Value) {
    document["openapi"] = json!("3.0.3");
    if let Value::Object(top) = document {
        top.remove("jsonSchemaDialect");
        top.remove("webhooks");
    }
    if let Some(Value::Object(info)) = document.get_mut("info") {
        info.remove("summary");
        if let Some(Value::Object(license)) = info.get_mut("license") {
            license.remove("identifier");
        }
    }
    if let Some(Value::Object(schemas)) = document.pointer_mut("/components/schemas") {
        schemas.values_mut().for_each(schema);
    }
    let Some(Value::Object(paths)) = document.get_mut("paths") else {
        return;
    };
    for item in paths.values_mut() {
        let Value::Object(item) = item else { continue };
        for operation in item.values_mut() {
            if let Some(Value::Array(parameters)) = operation.get_mut("parameters") {
                for parameter in parameters {
                    if let Some(parameter_schema) = parameter.get_mut("schema") {
                        schema(parameter_schema);
                    }
                    media_types(parameter.get_mut("content"));
                }
            }
            if let Some(body) = operation.get_mut("requestBody") {
                media_types(body.get_mut("content"));
            }
            if let Some(Value::Object(responses)) = operation.get_mut("responses") {
                for response in responses.values_mut() {
                    media_types(response.get_mut("content"));
                    if let Some(Value::Object(headers)) = response.get_mut("headers") {
                        for header in headers.values_mut() {
                            if let Some(header_schema) = header.get_mut("schema") {
                                schema(header_schema);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn media_types(content: Option<&mut Value>) {
    let Some(Value::Object(content)) = content else {
        return;
    };
    for media in content.values_mut() {
        if let Some(media_schema) = media.get_mut("schema") {
            schema(media_schema);
        }
        if let Some(Value::Object(encoding)) = media.get_mut("encoding") {
            for encoding in encoding.values_mut() {
                if let Some(Value::Object(headers)) = encoding.get_mut("headers") {
                    for header in headers.values_mut() {
                        if let Some(header_schema) = header.get_mut("schema") {
                            schema(header_schema);
                        }
                    }
                }
            }
        }
    }
}

fn null_schema(value: &Value) -> bool {
    value.get("type") == Some(&json!("null")) && value.as_object().is_some_and(|f| f.len() == 1)
}

/// One schema, recursively.
pub(crate) fn schema(value: &mut Value) {
    match value {
        Value::Bool(true) => *value = json!({}),
        Value::Bool(false) => *value = json!({"not": {}}),
        _ => {}
    }
    let Value::Object(fields) = value else { return };
    let mut nullable = false;
    match fields.get("type").cloned() {
        Some(Value::Array(types)) => {
            let mut kinds: Vec<Value> = types.into_iter().filter(|t| *t != json!("null")).collect();
            nullable = kinds.len() < fields["type"].as_array().map_or(0, Vec::len);
            match kinds.len() {
                0 => {
                    fields.remove("type");
                }
                1 => {
                    fields.insert("type".into(), kinds.remove(0));
                }
                _ => {
                    fields.remove("type");
                    let alternatives: Vec<Value> =
                        kinds.into_iter().map(|kind| json!({"type": kind})).collect();
                    add_all_of(fields, json!({"anyOf": alternatives}));
                }
            }
        }
        Some(Value::String(kind)) if kind == "null" => {
            fields.remove("type");
            nullable = true;
            fields.insert("enum".into(), json!([null]));
        }
        _ => {}
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(alternatives)) = fields.get_mut(key) {
            let before = alternatives.len();
            alternatives.retain(|alternative| !null_schema(alternative));
            if alternatives.len() < before {
                nullable = true;
                if alternatives.is_empty() {
                    fields.remove(key);
                }
            }
        }
    }
    if let Some(constant) = fields.remove("const") {
        fields.insert("enum".into(), json!([constant]));
    }
    if let Some(examples) = fields.remove("examples") {
        if !fields.contains_key("example") {
            if let Some(first) = examples.as_array().and_then(|e| e.first()) {
                fields.insert("example".into(), first.clone());
            }
        }
    }
    for (flag, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if let Some(limit) = fields.get(flag).filter(|v| v.is_number()).cloned() {
            fields.insert(bound.into(), limit);
            fields.insert(flag.into(), json!(true));
        }
    }
    if let Some(Value::Array(tuple)) = fields.remove("prefixItems") {
        // 3.0 has no tuples: an array of any of the members.
        if !fields.contains_key("items") || fields.get("items") == Some(&json!(false)) {
            fields.insert("items".into(), json!({"anyOf": tuple}));
        }
    }
    if let Some(items) = fields.get("items") {
        if items.is_array() || items.is_boolean() {
            fields.insert("items".into(), json!({}));
        }
    }
    if fields.get("type") == Some(&json!("array")) && !fields.contains_key("items") {
        fields.insert("items".into(), json!({}));
    }
    if nullable {
        fields.insert("nullable".into(), json!(true));
    }
    fields.retain(|key, _| SCHEMA_KEYS_3_0.contains(&key.as_str()) || key.starts_with("x-"));
    // A `$ref` takes no sibling keywords in 3.0.
    if fields.contains_key("$ref") && fields.len() > 1 {
        let target = fields.remove("$ref").expect("checked above");
        add_all_of(fields, json!({"$ref": target}));
    }
    for_each_subschema(fields, schema);
}

fn add_all_of(fields: &mut Map<String, Value>, member: Value) {
    match fields.get_mut("allOf") {
        Some(Value::Array(all)) => all.push(member),
        _ => {
            fields.insert("allOf".into(), json!([member]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn converted(mut value: Value) -> Value {
        schema(&mut value);
        value
    }

    #[test]
    fn nullable_types() {
        assert_eq!(
            converted(json!({"type": ["string", "null"], "examples": ["a", "b"]})),
            json!({"type": "string", "example": "a", "nullable": true})
        );
        assert_eq!(
            converted(json!({"anyOf": [{"$ref": "#/components/schemas/A"}, {"type": "null"}]})),
            json!({"anyOf": [{"$ref": "#/components/schemas/A"}], "nullable": true})
        );
        assert_eq!(
            converted(json!({"type": ["integer", "string"]})),
            json!({"allOf": [{"anyOf": [{"type": "integer"}, {"type": "string"}]}]})
        );
    }

    #[test]
    fn numeric_exclusive_bounds_become_flags() {
        assert_eq!(
            converted(json!({"type": "integer", "exclusiveMinimum": 0, "maximum": 9})),
            json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 9})
        );
    }

    #[test]
    fn keywords_3_0_lacks_are_dropped_and_refs_lose_siblings() {
        assert_eq!(
            converted(json!({
                "$schema": "x", "$defs": {}, "const": 1, "contentEncoding": "base64",
                "properties": {"a": true, "b": {"$ref": "#/components/schemas/B", "description": "b"}},
                "prefixItems": [{"type": "integer"}],
            })),
            json!({
                "enum": [1],
                "properties": {"a": {}, "b": {"description": "b", "allOf": [{"$ref": "#/components/schemas/B"}]}},
                "items": {"anyOf": [{"type": "integer"}]},
            })
        );
    }
}
