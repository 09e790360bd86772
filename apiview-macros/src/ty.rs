//! A parameter's Rust type classified once, on the syn tree (salvo's `type_tree.rs`):
//! the validators ask whether it is a float, and the generated metadata carries the
//! classification for the OpenAPI document, so no crate parses a type again.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{GenericArgument, PathArguments, Type};

/// What a type says about the JSON value it is read from. Wrappers (`Option`,
/// `Box`, `Arc`, `Rc`, `Cow`, cells and locks, references) are looked through.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// `()`.
    Null,
    Text,
    Character,
    Boolean,
    Integer {
        signed: bool,
        bits: u8,
    },
    Float {
        bits: u8,
    },
    /// `Vec<T>`, `[T]`, `[T; N]` and the other sequences.
    List(Box<Shape>),
    /// `HashSet<T>`, `BTreeSet<T>`, `IndexSet<T>`.
    UniqueList(Box<Shape>),
    /// A map with string keys: the shape of its values.
    Dictionary(Box<Shape>),
    /// `serde_json::Map`.
    Object,
    Tuple(Vec<Shape>),
    /// `Upload`: a multipart file part.
    File,
    /// Another named type (its last path segment), which may be a registered model.
    Named(String),
    /// `serde_json::Value`, `impl Trait`, `dyn Trait`, or nothing the code can say.
    Unknown,
}

impl Shape {
    pub fn of(ty: &Type) -> Shape {
        match ty {
            Type::Reference(reference) => Shape::of(&reference.elem),
            Type::Ptr(pointer) => Shape::of(&pointer.elem),
            Type::Paren(paren) => Shape::of(&paren.elem),
            Type::Group(group) => Shape::of(&group.elem),
            Type::Slice(slice) => Shape::List(Box::new(Shape::of(&slice.elem))),
            Type::Array(array) => Shape::List(Box::new(Shape::of(&array.elem))),
            Type::Tuple(tuple) if tuple.elems.is_empty() => Shape::Null,
            Type::Tuple(tuple) => Shape::Tuple(tuple.elems.iter().map(Shape::of).collect()),
            Type::Path(path) if path.qself.is_none() => {
                let Some(segment) = path.path.segments.last() else {
                    return Shape::Unknown;
                };
                let args: Vec<&Type> = match &segment.arguments {
                    PathArguments::AngleBracketed(args) => args
                        .args
                        .iter()
                        .filter_map(|arg| match arg {
                            GenericArgument::Type(ty) => Some(ty),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                Shape::named(&segment.ident.to_string(), &args)
            }
            _ => Shape::Unknown,
        }
    }

    fn named(name: &str, args: &[&Type]) -> Shape {
        let arg = |index: usize| args.get(index).map_or(Shape::Unknown, |ty| Shape::of(ty));
        let integer = |signed, bits| Shape::Integer { signed, bits };
        match name {
            "Option" | "Box" | "Arc" | "Rc" | "Cow" | "Cell" | "RefCell" | "Mutex" | "RwLock" => arg(0),
            "String" | "str" | "OsString" | "PathBuf" | "Path" => Shape::Text,
            "char" => Shape::Character,
            "bool" => Shape::Boolean,
            "i8" => integer(true, 8),
            "i16" => integer(true, 16),
            "i32" => integer(true, 32),
            "i64" | "isize" => integer(true, 64),
            "i128" => integer(true, 128),
            "u8" => integer(false, 8),
            "u16" => integer(false, 16),
            "u32" => integer(false, 32),
            "u64" | "usize" => integer(false, 64),
            "u128" => integer(false, 128),
            "f32" => Shape::Float { bits: 32 },
            "f64" => Shape::Float { bits: 64 },
            "Vec" | "VecDeque" | "LinkedList" | "BinaryHeap" => Shape::List(Box::new(arg(0))),
            "HashSet" | "BTreeSet" | "IndexSet" => Shape::UniqueList(Box::new(arg(0))),
            "HashMap" | "BTreeMap" | "IndexMap" => Shape::Dictionary(Box::new(arg(1))),
            "Map" => Shape::Object,
            "Value" => Shape::Unknown,
            "Upload" => Shape::File,
            other => Shape::Named(other.to_owned()),
        }
    }

    /// Whether `Upload` is anywhere in it.
    pub fn has_file(&self) -> bool {
        match self {
            Shape::File => true,
            Shape::List(inner) | Shape::UniqueList(inner) | Shape::Dictionary(inner) => inner.has_file(),
            Shape::Tuple(items) => items.iter().any(Shape::has_file),
            _ => false,
        }
    }

    pub fn is_float(&self) -> bool {
        matches!(self, Shape::Float { .. })
    }
}

/// The `::apiview::__private::TypeShape` constant.
impl ToTokens for Shape {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let shape = quote!(::apiview::__private::TypeShape);
        tokens.extend(match self {
            Shape::Null => quote!(#shape::Null),
            Shape::Text => quote!(#shape::Text),
            Shape::Character => quote!(#shape::Character),
            Shape::Boolean => quote!(#shape::Boolean),
            Shape::Integer { signed, bits } => quote!(#shape::Integer { signed: #signed, bits: #bits }),
            Shape::Float { bits } => quote!(#shape::Float { bits: #bits }),
            Shape::List(item) => quote!(#shape::List(&#item)),
            Shape::UniqueList(item) => quote!(#shape::UniqueList(&#item)),
            Shape::Dictionary(value) => quote!(#shape::Dictionary(&#value)),
            Shape::Object => quote!(#shape::Object),
            Shape::File => quote!(#shape::File),
            Shape::Tuple(items) => quote!(#shape::Tuple(&[#(#items),*])),
            Shape::Named(name) => quote!(#shape::Named(#name)),
            Shape::Unknown => quote!(#shape::Unknown),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::Shape;

    fn shape(text: &str) -> Shape {
        Shape::of(&syn::parse_str(text).expect("a type"))
    }

    #[test]
    fn wrappers_are_looked_through() {
        assert_eq!(shape("Option<String>"), Shape::Text);
        assert_eq!(shape("&'static str"), Shape::Text);
        assert_eq!(shape("Cow<'a, str>"), Shape::Text);
        assert_eq!(
            shape("Option<Vec<Option<bool>>>"),
            Shape::List(Box::new(Shape::Boolean))
        );
        assert!(shape("Option<f64>").is_float());
        assert!(!shape("Option<i64>").is_float());
    }

    #[test]
    fn collections_and_names() {
        assert_eq!(
            shape("[i32; 4]"),
            Shape::List(Box::new(Shape::Integer {
                signed: true,
                bits: 32
            }))
        );
        assert_eq!(
            shape("std::collections::HashMap<String, f64>"),
            Shape::Dictionary(Box::new(Shape::Float { bits: 64 }))
        );
        assert_eq!(shape("serde_json::Value"), Shape::Unknown);
        assert_eq!(shape("crate::models::Note"), Shape::Named("Note".into()));
        assert_eq!(shape("()"), Shape::Null);
        assert_eq!(shape("impl Trait"), Shape::Unknown);
        assert_eq!(shape("<T as Tr>::Out"), Shape::Unknown);
    }
}
