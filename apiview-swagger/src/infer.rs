//! What the code says about the request fields: their JSON schemas from the Rust
//! types, constraints and `required` from the validators.

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
}

/// The fields of an endpoint: its parameters filled from the request, then the
/// fields validators name without the function taking them.
pub(crate) fn fields(meta: &EndpointMeta, models: &[&str]) -> Vec<Field> {
    let mut fields = Vec::new();
    for param in meta.params {
        let Some(source) = &param.source else { continue };
        let mut schema = type_schema(param.rust_type, models);
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
        CheckMeta::Choices { field, values } => {
            let Some(Value::Array(values)) = values.and_then(|text| serde_json::from_str(text).ok()) else {
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

/// A Rust type, as `#[apiview]` wrote it down, tokenized and parsed far enough to
/// name its JSON schema.
#[derive(Debug)]
enum Ty {
    Path { name: String, args: Vec<Ty> },
    Tuple(Vec<Ty>),
    Slice(Box<Ty>),
}

/// The JSON schema of a Rust type written as text (`Option < Vec < i64 > >`).
///
/// Integers are `integer` (unsigned ones with `minimum: 0`), floats `number`,
/// `bool` `boolean`, strings `string`, sequences `array`, maps `object`,
/// `serde_json::Value` anything (`{}`), a type registered as a model a `$ref` to it,
/// and any other type anything too: the code cannot say more.
pub(crate) fn type_schema(rust_type: &str, models: &[&str]) -> Value {
    let tokens = tokenize(rust_type);
    let mut at = 0;
    match parse(&tokens, &mut at) {
        Some(ty) => schema_of(&ty, models),
        None => json!({}),
    }
}

fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        if c.is_alphanumeric() || c == '_' || c == '\'' {
            let mut word = String::from(c);
            while let Some(&next) = chars.peek() {
                if next.is_alphanumeric() || next == '_' {
                    word.push(next);
                    chars.next();
                } else {
                    break;
                }
            }
            tokens.push(word);
        } else if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            tokens.push("::".into());
        } else {
            tokens.push(c.to_string());
        }
    }
    tokens
}

fn parse(tokens: &[String], at: &mut usize) -> Option<Ty> {
    let token = tokens.get(*at)?.as_str();
    match token {
        "&" | "*" => {
            *at += 1;
            while tokens
                .get(*at)
                .is_some_and(|t| t.starts_with('\'') || t == "mut" || t == "const")
            {
                *at += 1;
            }
            parse(tokens, at)
        }
        "dyn" | "impl" => None,
        "(" => {
            *at += 1;
            let items = list(tokens, at, ")")?;
            Some(Ty::Tuple(items))
        }
        "[" => {
            *at += 1;
            let item = parse(tokens, at)?;
            // `[T; N]` or `[T]`: skip to the closing bracket.
            let mut depth = 0usize;
            while let Some(token) = tokens.get(*at) {
                *at += 1;
                match token.as_str() {
                    "[" => depth += 1,
                    "]" if depth == 0 => break,
                    "]" => depth -= 1,
                    _ => {}
                }
            }
            Some(Ty::Slice(Box::new(item)))
        }
        _ => {
            let mut name = String::new();
            loop {
                match tokens.get(*at).map(String::as_str) {
                    Some("::") => *at += 1,
                    Some(word)
                        if word
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_alphanumeric() || c == '_') =>
                    {
                        name = word.to_owned();
                        *at += 1;
                        if tokens.get(*at).map(String::as_str) != Some("::") {
                            break;
                        }
                    }
                    _ => break,
                }
            }
            if name.is_empty() {
                return None;
            }
            let args = if tokens.get(*at).map(String::as_str) == Some("<") {
                *at += 1;
                list(tokens, at, ">")?
            } else {
                Vec::new()
            };
            Some(Ty::Path { name, args })
        }
    }
}

/// Comma-separated types up to `close`; lifetimes are skipped.
fn list(tokens: &[String], at: &mut usize, close: &str) -> Option<Vec<Ty>> {
    let mut items = Vec::new();
    loop {
        match tokens.get(*at).map(String::as_str) {
            None => return None,
            Some(token) if token == close => {
                *at += 1;
                return Some(items);
            }
            Some(",") => *at += 1,
            Some(token) if token.starts_with('\'') => *at += 1,
            Some(_) => items.push(parse(tokens, at)?),
        }
    }
}

fn schema_of(ty: &Ty, models: &[&str]) -> Value {
    let item = |args: &[Ty], index: usize| {
        args.get(index)
            .map_or_else(|| json!({}), |t| schema_of(t, models))
    };
    match ty {
        Ty::Tuple(items) if items.is_empty() => json!({"type": "null"}),
        Ty::Tuple(items) => json!({
            "type": "array",
            "prefixItems": items.iter().map(|t| schema_of(t, models)).collect::<Vec<_>>(),
            "minItems": items.len(),
            "maxItems": items.len(),
        }),
        Ty::Slice(item) => json!({"type": "array", "items": schema_of(item, models)}),
        Ty::Path { name, args } => match name.as_str() {
            "Option" | "Box" | "Arc" | "Rc" | "Cow" | "Cell" | "RefCell" | "Mutex" | "RwLock" => {
                item(args, 0)
            }
            "String" | "str" | "OsString" | "PathBuf" | "Path" => json!({"type": "string"}),
            "char" => json!({"type": "string", "minLength": 1, "maxLength": 1}),
            "bool" => json!({"type": "boolean"}),
            "i8" | "i16" | "i32" => json!({"type": "integer", "format": "int32"}),
            "i64" | "isize" => json!({"type": "integer", "format": "int64"}),
            "i128" => json!({"type": "integer"}),
            "u8" | "u16" => json!({"type": "integer", "format": "int32", "minimum": 0}),
            "u32" => json!({"type": "integer", "format": "int64", "minimum": 0}),
            "u64" | "usize" | "u128" => json!({"type": "integer", "minimum": 0}),
            "f32" => json!({"type": "number", "format": "float"}),
            "f64" => json!({"type": "number", "format": "double"}),
            "Vec" | "VecDeque" | "LinkedList" | "BinaryHeap" => {
                json!({"type": "array", "items": item(args, 0)})
            }
            "HashSet" | "BTreeSet" | "IndexSet" => {
                json!({"type": "array", "items": item(args, 0), "uniqueItems": true})
            }
            "HashMap" | "BTreeMap" | "IndexMap" => {
                json!({"type": "object", "additionalProperties": item(args, 1)})
            }
            "Map" => json!({"type": "object"}),
            "Value" => json!({}),
            other => match models.iter().find(|model| **model == other) {
                Some(model) => model_ref(model),
                None => json!({}),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_types_become_schemas() {
        let models = ["Note"];
        let cases = [
            ("i64", json!({"type": "integer", "format": "int64"})),
            ("Option < String >", json!({"type": "string"})),
            (
                "Vec < u8 >",
                json!({"type": "array", "items": {"type": "integer", "format": "int32", "minimum": 0}}),
            ),
            (
                "std :: collections :: HashMap < String , f64 >",
                json!({"type": "object", "additionalProperties": {"type": "number", "format": "double"}}),
            ),
            (
                "Option<Vec<Option<bool>>>",
                json!({"type": "array", "items": {"type": "boolean"}}),
            ),
            ("serde_json :: Value", json!({})),
            (
                "crate :: models :: Note",
                json!({"$ref": "#/components/schemas/Note"}),
            ),
            ("Unknown", json!({})),
            ("& 'static str", json!({"type": "string"})),
            ("Cow < 'a , str >", json!({"type": "string"})),
            (
                "[i32 ; 4]",
                json!({"type": "array", "items": {"type": "integer", "format": "int32"}}),
            ),
            ("", json!({})),
            ("impl Trait", json!({})),
        ];
        for (rust, schema) in cases {
            assert_eq!(type_schema(rust, &models), schema, "{rust}");
        }
    }

    #[test]
    fn malformed_types_are_any() {
        for rust in ["Vec <", "Option < String", ">", "( i64 ,", ":: ::"] {
            assert_eq!(type_schema(rust, &[]), json!({}), "{rust}");
        }
    }
}
