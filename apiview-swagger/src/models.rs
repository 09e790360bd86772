//! Models: the JSON schemas of `schemars::JsonSchema` types, for `components/schemas`.

use apiview_core::ResultSchema;
use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::{Map, Value};

use crate::schema::{component_name, for_each_subschema, COMPONENTS};

/// The schemas `T` needs, `T`'s own first, each under its component name, with
/// `$ref`s pointing into `#/components/schemas/` (JSON Schema 2020-12, as OpenAPI 3.1
/// takes it; the 3.0 document converts them).
///
/// ```
/// #[derive(schemars::JsonSchema)]
/// struct Note {
///     name: String,
///     tags: Vec<Tag>,
/// }
///
/// #[derive(schemars::JsonSchema)]
/// struct Tag(String);
///
/// let schemas = apiview_swagger::model_schemas::<Note>();
/// assert_eq!(schemas[0].0, "Note");
/// assert_eq!(schemas[0].1["properties"]["tags"]["items"]["$ref"], "#/components/schemas/Tag");
/// assert_eq!(schemas[1].0, "Tag");
/// ```
pub fn model_schemas<T: JsonSchema + ?Sized>() -> Vec<(String, Value)> {
    let (root, mut definitions) = generate::<T>();
    let own = T::schema_name().into_owned();
    let mut schemas = Vec::with_capacity(definitions.len() + 1);
    match definitions.remove(&own) {
        Some(schema) => schemas.push((own, schema)),
        // A type schemars inlines (a primitive, a transparent wrapper).
        None => schemas.push((own, root)),
    }
    schemas.extend(definitions);
    renamed(schemas, None).0
}

/// The schema of an endpoint's result `T`: inline, or a `$ref` to the component it
/// needs, with every component it refers to.
pub(crate) fn result_schema<T: JsonSchema + ?Sized>() -> ResultSchema {
    let (root, definitions) = generate::<T>();
    let (components, schema) = renamed(definitions.into_iter().collect(), Some(root));
    ResultSchema {
        schema: schema.unwrap_or_default(),
        components,
    }
}

fn generate<T: JsonSchema + ?Sized>() -> (Value, Map<String, Value>) {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|settings| {
            settings.definitions_path = "/components/schemas".into();
            settings.meta_schema = None;
        })
        .into_generator();
    let root = generator.subschema_for::<T>().to_value();
    let definitions: Map<String, Value> = generator.take_definitions(true);
    (root, definitions)
}

/// `schemas` and `root` with the names OpenAPI does not accept as component keys
/// renamed.
fn renamed(schemas: Vec<(String, Value)>, mut root: Option<Value>) -> (Vec<(String, Value)>, Option<Value>) {
    // Names OpenAPI does not accept as component keys (`Page<Note>`) are renamed,
    // and every reference with them.
    let renames: Vec<(String, String)> = schemas
        .iter()
        .map(|(name, _)| (name.clone(), component_name(name)))
        .filter(|(old, new)| old != new)
        .collect();
    if renames.is_empty() {
        return (schemas, root);
    }
    if let Some(root) = &mut root {
        rename_refs(root, &renames);
    }
    let schemas = schemas
        .into_iter()
        .map(|(name, mut schema)| {
            rename_refs(&mut schema, &renames);
            (component_name(&name), schema)
        })
        .collect();
    (schemas, root)
}

fn rename_refs(schema: &mut Value, renames: &[(String, String)]) {
    let Value::Object(fields) = schema else { return };
    if let Some(Value::String(target)) = fields.get_mut("$ref") {
        if let Some((_, new)) = renames
            .iter()
            .find(|(old, _)| target.strip_prefix(COMPONENTS) == Some(&pointer_escape(old)))
        {
            *target = format!("{COMPONENTS}{new}");
        }
    }
    for_each_subschema(fields, |child| rename_refs(child, renames));
}

/// A name as schemars writes it in a `$ref`: a JSON pointer in a URI fragment.
fn pointer_escape(name: &str) -> String {
    let mut out = String::new();
    for byte in name.bytes() {
        match byte {
            b'~' => out.push_str("~0"),
            b'/' => out.push_str("~1"),
            b'!' | b'$' | b'&'..=b';' | b'=' | b'?'..=b'Z' | b'_' | b'a'..=b'z' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
