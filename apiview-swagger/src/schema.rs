//! JSON schemas as the document holds them (OpenAPI 3.1, JSON Schema 2020-12): the
//! ones authors write in doc comments, in Swagger 2.0 habits, made so.

use serde_json::{json, Map, Value};

/// Where registered models live.
pub(crate) const COMPONENTS: &str = "#/components/schemas/";

/// The keys of a Swagger 2.0 non-body parameter that describe its value: OpenAPI 3
/// moves them into the parameter's `schema`.
pub(crate) const VALUE_KEYS: &[&str] = &[
    "type",
    "format",
    "items",
    "enum",
    "const",
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "nullable",
    "title",
];

/// `{"$ref": "#/components/schemas/NAME"}`.
pub(crate) fn model_ref(name: &str) -> Value {
    json!({ "$ref": format!("{COMPONENTS}{name}") })
}

/// A schema that says nothing (`{}` or `true`).
pub(crate) fn is_any(schema: &Value) -> bool {
    match schema {
        Value::Bool(any) => *any,
        Value::Object(fields) => fields.is_empty(),
        _ => false,
    }
}

/// A `$ref` as authors write it — `Note`, `#/definitions/Note` (Swagger 2.0) — as a
/// reference into `components/schemas`. Other references are kept.
pub(crate) fn ref_target(text: &str) -> String {
    if let Some(name) = text.strip_prefix("#/definitions/") {
        format!("{COMPONENTS}{name}")
    } else if text.starts_with('#') || text.contains('/') || text.contains(':') {
        text.to_owned()
    } else {
        format!("{COMPONENTS}{text}")
    }
}

/// A component name OpenAPI accepts (`^[a-zA-Z0-9._-]+$`): other characters become `_`.
pub(crate) fn component_name(text: &str) -> String {
    let name: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "_".to_owned()
    } else {
        name
    }
}

/// Makes a schema written in a doc comment a 3.1 one, recursively: `$ref` prefixes,
/// `type: file`, boolean `exclusiveMinimum`/`exclusiveMaximum`, `nullable`, and a
/// boolean `required` (a Swagger 2.0 parameter habit) dropped.
pub(crate) fn from_doc(schema: &mut Value) {
    let Value::Object(fields) = schema else { return };
    if let Some(Value::String(target)) = fields.get("$ref") {
        let target = ref_target(target);
        fields.insert("$ref".into(), Value::String(target));
    }
    if fields.get("type") == Some(&json!("file")) {
        fields.insert("type".into(), json!("string"));
        fields.entry("format").or_insert(json!("binary"));
    }
    for (flag, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if let Some(Value::Bool(exclusive)) = fields.get(flag) {
            let exclusive = *exclusive;
            fields.remove(flag);
            if exclusive {
                if let Some(bound_value) = fields.remove(bound) {
                    fields.insert(flag.into(), bound_value);
                }
            }
        }
    }
    if let Some(Value::Bool(nullable)) = fields.remove("nullable") {
        if nullable {
            match fields.get("type").cloned() {
                Some(Value::String(ty)) => {
                    fields.insert("type".into(), json!([ty, "null"]));
                }
                Some(Value::Array(mut types)) if !types.contains(&json!("null")) => {
                    types.push(json!("null"));
                    fields.insert("type".into(), Value::Array(types));
                }
                _ => {}
            }
        }
    }
    if matches!(fields.get("required"), Some(Value::Bool(_))) {
        fields.remove("required");
    }
    for_each_subschema(fields, from_doc);
}

/// Calls `visit` on every schema directly inside `fields` (properties, items, …).
pub(crate) fn for_each_subschema(fields: &mut Map<String, Value>, mut visit: impl FnMut(&mut Value)) {
    for key in [
        "properties",
        "patternProperties",
        "$defs",
        "definitions",
        "dependentSchemas",
    ] {
        if let Some(Value::Object(children)) = fields.get_mut(key) {
            children.values_mut().for_each(&mut visit);
        }
    }
    for key in ["allOf", "anyOf", "oneOf", "prefixItems"] {
        if let Some(Value::Array(children)) = fields.get_mut(key) {
            children.iter_mut().for_each(&mut visit);
        }
    }
    for key in [
        "items",
        "additionalProperties",
        "not",
        "contains",
        "propertyNames",
        "if",
        "then",
        "else",
        "unevaluatedItems",
        "unevaluatedProperties",
    ] {
        match fields.get_mut(key) {
            Some(Value::Array(children)) => children.iter_mut().for_each(&mut visit),
            Some(child @ Value::Object(_)) => visit(child),
            _ => {}
        }
    }
}

/// Adds to a schema an author wrote what the code says and the author did not:
/// the keys of `inferred` it lacks. Nothing is added to a `$ref`, nor when the two
/// disagree on the type (the author's word stands).
pub(crate) fn enrich(target: &mut Value, inferred: &Value) {
    let (Value::Object(target), Value::Object(inferred)) = (target, inferred) else {
        return;
    };
    if target.contains_key("$ref") {
        return;
    }
    if let (Some(written), Some(known)) = (target.get("type"), inferred.get("type")) {
        if written != known {
            return;
        }
    }
    for (key, value) in inferred {
        let clash = match key.as_str() {
            "minimum" => target.contains_key("exclusiveMinimum"),
            "exclusiveMinimum" => target.contains_key("minimum"),
            "maximum" => target.contains_key("exclusiveMaximum"),
            "exclusiveMaximum" => target.contains_key("maximum"),
            _ => false,
        };
        if !clash && !target.contains_key(key) {
            target.insert(key.clone(), value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swagger2_habits_become_3_1() {
        let mut schema = json!({
            "type": "object",
            "properties": {
                "n": {"type": "integer", "minimum": 0, "exclusiveMinimum": true, "nullable": true, "required": true},
                "f": {"type": "file"},
                "m": {"$ref": "Note"},
                "d": {"$ref": "#/definitions/Old"},
                "x": {"$ref": "https://example.invalid/schema.json"},
            },
        });
        from_doc(&mut schema);
        assert_eq!(
            schema["properties"],
            json!({
                "n": {"type": ["integer", "null"], "exclusiveMinimum": 0},
                "f": {"type": "string", "format": "binary"},
                "m": {"$ref": "#/components/schemas/Note"},
                "d": {"$ref": "#/components/schemas/Old"},
                "x": {"$ref": "https://example.invalid/schema.json"},
            })
        );
    }

    #[test]
    fn enrich_keeps_the_authors_word() {
        let mut written = json!({"type": "integer", "minimum": 1});
        enrich(
            &mut written,
            &json!({"type": "integer", "format": "int64", "minimum": 0, "maximum": 100}),
        );
        assert_eq!(
            written,
            json!({"type": "integer", "minimum": 1, "format": "int64", "maximum": 100})
        );
        let mut other = json!({"type": "string"});
        enrich(&mut other, &json!({"type": "integer", "minimum": 0}));
        assert_eq!(other, json!({"type": "string"}));
    }

    #[test]
    fn component_names_are_sanitized() {
        assert_eq!(component_name("Page<Note>"), "Page_Note_");
        assert_eq!(component_name(""), "_");
    }
}
