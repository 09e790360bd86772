//! Pagination (`#[paginate]`): what the endpoint takes ([`PageRequest`]), what it
//! returns ([`Page`]), the signed cursor, and the result in Django REST framework's
//! shape, `{"count", "next", "previous", "results"}`, with absolute links.
//!
//! Decisions, for a reader coming from DRF:
//! - a requested size over `max_page_size` is clamped to it (as DRF does), not refused;
//! - a page, offset or cursor past the end answers an empty `results` (DRF: 404);
//! - `page=0`, a negative, non-numeric or overflowing `page`, `page_size`, `limit`
//!   or `offset`, and a size of 0, are `BadParameter` naming the parameter;
//! - links are absolute from `swagger.api_host` and `api_basepath` when `api_host`
//!   is set; otherwise from the request's `Host` header only when that is a plain
//!   `host[:port]` (a client writes that header: anything else makes the links
//!   relative, `/path?query`); the scheme is `http` unless `api_host` names one;
//! - the cursor style is forward-only: `previous` is always `null`.

mod cursor;
mod links;
mod request;

use serde::Serialize;

pub use self::cursor::{CursorKey, MAX_POSITION_BYTES};
pub use self::links::{link_base, sane_host, Links};
pub use self::request::PageRequest;
pub use crate::meta::{PageStyle, PaginateMeta};

use crate::error::BizError;
use serde_json::{Map, Value};

/// One page of a paginated endpoint's results.
///
/// ```
/// use apiview_core::paginate::Page;
///
/// let page = Page::new(vec![1, 2, 3], 10);
/// assert_eq!((page.items(), page.total()), (&[1, 2, 3][..], Some(10)));
/// let page = Page::cursor(vec!["a"], Some("id:7".to_string()));
/// assert_eq!((page.total(), page.next_cursor()), (None, Some("id:7")));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    items: Vec<T>,
    total: Option<u64>,
    next_cursor: Option<String>,
}

/// The answer's shape in the OpenAPI document (DESIGN §17): an endpoint returning
/// `Page<T>` or `Result<Page<T>, E>` documents `{"count", "next", "previous",
/// "results": [T]}` with `T`'s schema (`count` absent in the cursor style).
///
/// ```
/// use apiview_core::paginate::Page;
///
/// let schema = schemars::schema_for!(Page<u32>).to_value();
/// assert_eq!(schema["properties"]["results"]["items"]["type"], "integer");
/// assert_eq!(schema["required"], serde_json::json!(["next", "previous", "results"]));
/// ```
impl<T: schemars::JsonSchema> schemars::JsonSchema for Page<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Page_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // Any item (`serde_json::Value`) is schemars' `true`, which some OpenAPI tools
        // (openapi-python-client) refuse: `{}` says the same.
        let items = match generator.subschema_for::<T>() {
            any if any.as_bool() == Some(true) => schemars::json_schema!({}),
            items => items,
        };
        let link = schemars::json_schema!({
            "type": ["string", "null"],
            "description": "the URL of the neighbouring page, or null at either end"
        });
        schemars::json_schema!({
            "type": "object",
            "properties": {
                "count": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "the number of items in all (not in the cursor style)"
                },
                "next": link.clone(),
                "previous": link,
                "results": { "type": "array", "items": items }
            },
            "required": ["next", "previous", "results"]
        })
    }
}

impl<T> Page<T> {
    /// A page of a counted collection (`page_number` and `limit_offset` styles):
    /// `total` items in all.
    ///
    /// ```
    /// let page = apiview_core::paginate::Page::new(vec!["x"], 1);
    /// assert_eq!(page.total(), Some(1));
    /// ```
    pub fn new(items: Vec<T>, total: u64) -> Page<T> {
        Page {
            items,
            total: Some(total),
            next_cursor: None,
        }
    }

    /// A page of the `cursor` style: `next_cursor` is where the next page starts
    /// (for instance the last item's id), `None` on the last page. The client sees
    /// it signed and opaque, and [`PageRequest::cursor`] hands it back verified. At
    /// most [`MAX_POSITION_BYTES`] bytes; a longer one answers `SysError`.
    ///
    /// ```
    /// let page = apiview_core::paginate::Page::cursor(vec![3, 4], None);
    /// assert_eq!(page.next_cursor(), None);
    /// ```
    pub fn cursor(items: Vec<T>, next_cursor: Option<String>) -> Page<T> {
        Page {
            items,
            total: None,
            next_cursor,
        }
    }

    /// The items of this page.
    ///
    /// ```
    /// assert_eq!(apiview_core::paginate::Page::new(vec![1], 1).items(), [1]);
    /// ```
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// How many items there are in all (`None` for a cursor page).
    ///
    /// ```
    /// assert_eq!(apiview_core::paginate::Page::<u8>::new(vec![], 0).total(), Some(0));
    /// ```
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// Where the next page starts, for a cursor page.
    ///
    /// ```
    /// let page = apiview_core::paginate::Page::cursor(vec![1], Some("9".into()));
    /// assert_eq!(page.next_cursor(), Some("9"));
    /// ```
    pub fn next_cursor(&self) -> Option<&str> {
        self.next_cursor.as_deref()
    }
}

impl<T: Serialize> Page<T> {
    /// The result in DRF's shape: `count` (not for a cursor page), `next`,
    /// `previous`, `results`.
    ///
    /// ```
    /// use apiview_core::paginate::{CursorKey, Links, Page, PageRequest, PageStyle};
    ///
    /// let request = PageRequest::new(PageStyle::PageNumber, 0, 2);
    /// let links = Links::new("http://api.example", "/notes", Some("q=a%20b&page=1"), PageStyle::PageNumber);
    /// let body = Page::new(vec![1, 2], 5).into_body(&request, &links, &CursorKey::new("k")).unwrap();
    /// assert_eq!(
    ///     body,
    ///     serde_json::json!({
    ///         "count": 5,
    ///         "next": "http://api.example/notes?q=a+b&page=2",
    ///         "previous": null,
    ///         "results": [1, 2],
    ///     })
    /// );
    /// ```
    pub fn into_body(self, request: &PageRequest, links: &Links, key: &CursorKey) -> Result<Value, BizError> {
        let (next, previous) = match request.style() {
            PageStyle::Cursor => {
                let next = match self.next_cursor.as_deref() {
                    Some(position) if position.len() > MAX_POSITION_BYTES => {
                        tracing::error!(
                            bytes = position.len(),
                            "Page::cursor's next position is over MAX_POSITION_BYTES; answered SysError"
                        );
                        return Err(BizError::sys_error());
                    }
                    Some(position) => Some(links.cursor(request, &key.sign(links.path(), position))),
                    None => None,
                };
                (next, None)
            }
            _ => {
                let total = self.total.unwrap_or(0);
                (links.next(request, total), links.previous(request, total))
            }
        };
        let results = serde_json::to_value(&self.items).map_err(|err| {
            tracing::error!(%err, "a page's items could not be serialized; answered SysError");
            BizError::sys_error()
        })?;
        let mut body = Map::new();
        if request.style() != PageStyle::Cursor {
            body.insert("count".into(), Value::from(self.total.unwrap_or(0)));
        }
        body.insert("next".into(), next.map_or(Value::Null, Value::String));
        body.insert("previous".into(), previous.map_or(Value::Null, Value::String));
        body.insert("results".into(), results);
        Ok(Value::Object(body))
    }
}
