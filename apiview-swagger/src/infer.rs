//! What the code says about the request fields: their JSON schemas from the Rust
//! types, constraints and `required` from the validators.

use apiview_core::meta::TypeShape;
use apiview_core::Source;
use apiview_core::{CheckMeta, EndpointMeta};
use serde_json::{json, Map, Value};

use crate::schema::{is_any, model_ref};

/// Where a field is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldKind {
    /// By name: path, JSON body, form, query or header.
    Named,
    /// The whole body (`body_alias`, `_payload`).
    Payload,
    /// A cookie.
    Cookie,
    /// One header.
    Header,
}

/// A request field the endpoint reads, as the code describes it.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    /// The function parameter (validators name fields by it).
    pub param: String,
    /// The name on the wire (the cookie or header name for those).
    pub name: String,
    pub kind: FieldKind,
    pub schema: Value,
    pub required: bool,
    /// Remarks for the parameter's description (`requires(any(..))`).
    pub notes: Vec<String>,
}

impl Field {
    /// Whether a value of the wrong type can be sent: anything but an untyped value,
    /// or a string read from a cookie or a header (one text value). A named field
    /// can be a JSON object or array, or a repeated query or form key, even where a
    /// string is expected.
    pub fn typed(&self) -> bool {
        match self.kind {
            FieldKind::Cookie | FieldKind::Header => {
                !(is_any(&self.schema) || self.schema.get("type") == Some(&json!("string")))
            }
            FieldKind::Named | FieldKind::Payload => !is_any(&self.schema),
        }
    }

    /// Whether it is an uploaded file (or a list of them): a multipart body's part.
    pub fn is_file(&self) -> bool {
        let binary = |schema: &Value| schema.get("format") == Some(&json!("binary"));
        binary(&self.schema) || self.schema.get("items").is_some_and(binary)
    }
}

/// The fields of an endpoint: its parameters filled from the request, then the
/// fields validators name without the function taking them.
pub(crate) fn fields(meta: &EndpointMeta, models: &[&str]) -> Vec<Field> {
    let mut fields = Vec::new();
    for param in meta.params {
        let Some(source) = &param.source else { continue };
        let mut schema = type_schema(&param.shape, models);
        let (name, kind, required) = match source {
            Source::Field { name, .. } => (*name, FieldKind::Named, param.required),
            Source::Payload => (param.name, FieldKind::Payload, param.required),
            Source::Cookie { name, default } => {
                if let (Some(default), Value::Object(schema)) = (default, &mut schema) {
                    schema.insert("default".into(), Value::String((*default).to_owned()));
                }
                (*name, FieldKind::Cookie, param.required && default.is_none())
            }
            Source::Header { name } => (*name, FieldKind::Header, param.required),
            // REMOTE_ADDR and the like: the server's, not the client's.
            Source::Meta { .. } => continue,
        };
        fields.push(Field {
            param: param.name.to_owned(),
            name: name.to_owned(),
            kind,
            schema,
            required,
            notes: Vec::new(),
        });
    }
    for check in meta.checks {
        apply(&mut fields, check);
    }
    fields
}

fn apply(fields: &mut Vec<Field>, check: &CheckMeta) {
    match check {
        CheckMeta::Requires { fields: names, any } => {
            for name in *names {
                let field = match fields.iter().position(|f| f.param == *name) {
                    Some(index) => &mut fields[index],
                    None => {
                        // `#[requires("token")]`: a request field the function does not take.
                        fields.push(Field {
                            param: (*name).to_owned(),
                            name: (*name).to_owned(),
                            kind: FieldKind::Named,
                            schema: json!({}),
                            required: false,
                            notes: Vec::new(),
                        });
                        fields.last_mut().expect("just pushed")
                    }
                };
                if *any {
                    let list = names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    field.notes.push(format!("At least one of {list} is required."));
                } else {
                    field.required = true;
                }
            }
        }
        CheckMeta::Choices {
            field,
            values,
            computed,
        } => {
            let values = match (values, computed) {
                (Some(text), _) => serde_json::from_str(text).ok(),
                (None, Some(compute)) => compute().map(Value::Array),
                (None, None) => None,
            };
            let Some(Value::Array(values)) = values else {
                return;
            };
            with_scalar(fields, field, |schema| {
                schema.insert("enum".into(), Value::Array(values));
            });
        }
        CheckMeta::Between {
            field,
            min,
            max,
            include_min,
            include_max,
        } => {
            let number =
                |text: &Option<&str>| text.and_then(|t| serde_json::from_str::<serde_json::Number>(t).ok());
            let (min, max) = (number(min), number(max));
            let bounds = [
                (min, *include_min, "minimum", "exclusiveMinimum"),
                (max, *include_max, "maximum", "exclusiveMaximum"),
            ];
            with_scalar(fields, field, |schema| {
                for (bound, inclusive, key, exclusive_key) in bounds {
                    if let Some(bound) = bound {
                        schema.remove(key);
                        let key = if inclusive { key } else { exclusive_key };
                        schema.insert(key.into(), Value::Number(bound));
                    }
                }
            });
        }
        CheckMeta::StringLength {
            field,
            min_length,
            max_length,
        } => with_scalar(fields, field, |schema| {
            if let Some(min) = min_length {
                schema.insert("minLength".into(), json!(min));
            }
            if let Some(max) = max_length {
                schema.insert("maxLength".into(), json!(max));
            }
        }),
    }
}

/// Applies a constraint to the field's schema, or to its items when it is a list
/// (validators check each element of a `Vec`).
fn with_scalar(fields: &mut [Field], param: &str, constrain: impl FnOnce(&mut Map<String, Value>)) {
    let Some(field) = fields.iter_mut().find(|f| f.param == param) else {
        return;
    };
    let target = if field.schema.get("type") == Some(&json!("array")) {
        &mut field.schema["items"]
    } else {
        &mut field.schema
    };
    if let Value::Object(schema) = target {
        constrain(schema);
    }
}

/// The JSON schema of a parameter's type, as `#[apiview]` classified it.
///
/// Integers are `integer` (unsigned ones with `minimum: 0`), floats `number`,
/// `bool` `boolean`, strings `string`, sequences `array`, maps `object`,
/// `serde_json::Value` anything (`{}`), a type registered as a model a `$ref` to it,
/// and any other type anything too: the code cannot say more.
pub(crate) fn type_schema(shape: &TypeShape, models: &[&str]) -> Value {
    match *shape {
        TypeShape::Null => json!({"type": "null"}),
        TypeShape::Text => json!({"type": "string"}),
        TypeShape::Character => json!({"type": "string", "minLength": 1, "maxLength": 1}),
        TypeShape::Boolean => json!({"type": "boolean"}),
        TypeShape::Integer { signed: true, bits } => match bits {
            0..=32 => json!({"type": "integer", "format": "int32"}),
            33..=64 => json!({"type": "integer", "format": "int64"}),
            _ => json!({"type": "integer"}),
        },
        TypeShape::Integer { signed: false, bits } => match bits {
            0..=16 => json!({"type": "integer", "format": "int32", "minimum": 0}),
            17..=32 => json!({"type": "integer", "format": "int64", "minimum": 0}),
            _ => json!({"type": "integer", "minimum": 0}),
        },
        TypeShape::Float { bits: 32 } => json!({"type": "number", "format": "float"}),
        TypeShape::Float { .. } => json!({"type": "number", "format": "double"}),
        TypeShape::List(item) => json!({"type": "array", "items": type_schema(item, models)}),
        TypeShape::UniqueList(item) => {
            json!({"type": "array", "items": type_schema(item, models), "uniqueItems": true})
        }
        TypeShape::Dictionary(value) => {
            json!({"type": "object", "additionalProperties": type_schema(value, models)})
        }
        TypeShape::Object => json!({"type": "object"}),
        TypeShape::File => json!({"type": "string", "format": "binary"}),
        TypeShape::Tuple(items) => json!({
            "type": "array",
            "prefixItems": items.iter().map(|t| type_schema(t, models)).collect::<Vec<_>>(),
            "minItems": items.len(),
            "maxItems": items.len(),
        }),
        TypeShape::Named(name) => match models.iter().find(|model| **model == name) {
            Some(model) => model_ref(model),
            None => json!({}),
        },
        TypeShape::Unknown => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_shapes_become_schemas() {
        const U8: TypeShape = TypeShape::Integer {
            signed: false,
            bits: 8,
        };
        const F64: TypeShape = TypeShape::Float { bits: 64 };
        const I32: TypeShape = TypeShape::Integer {
            signed: true,
            bits: 32,
        };
        let models = ["Note"];
        let cases = [
            (
                TypeShape::Integer {
                    signed: true,
                    bits: 64,
                },
                json!({"type": "integer", "format": "int64"}),
            ),
            (TypeShape::Text, json!({"type": "string"})),
            (
                TypeShape::List(&U8),
                json!({"type": "array", "items": {"type": "integer", "format": "int32", "minimum": 0}}),
            ),
            (
                TypeShape::Dictionary(&F64),
                json!({"type": "object", "additionalProperties": {"type": "number", "format": "double"}}),
            ),
            (
                TypeShape::List(&TypeShape::Boolean),
                json!({"type": "array", "items": {"type": "boolean"}}),
            ),
            (TypeShape::Unknown, json!({})),
            (
                TypeShape::Named("Note"),
                json!({"$ref": "#/components/schemas/Note"}),
            ),
            (TypeShape::Named("Unknown"), json!({})),
            (
                TypeShape::List(&I32),
                json!({"type": "array", "items": {"type": "integer", "format": "int32"}}),
            ),
            (TypeShape::Null, json!({"type": "null"})),
            (
                TypeShape::Tuple(&[TypeShape::Boolean, TypeShape::Text]),
                json!({
                    "type": "array",
                    "prefixItems": [{"type": "boolean"}, {"type": "string"}],
                    "minItems": 2,
                    "maxItems": 2,
                }),
            ),
        ];
        for (shape, schema) in cases {
            assert_eq!(type_schema(&shape, &models), schema, "{shape:?}");
        }
    }
}
