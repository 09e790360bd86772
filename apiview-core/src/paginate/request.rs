//! [`PageRequest`]: which page a request asks for, read from its query string.

use super::cursor::CursorKey;
use crate::error::BizError;
use crate::meta::PageStyle;

/// The page a request asks for, checked: what a `#[paginate]` endpoint takes.
///
/// ```
/// use apiview::prelude::*;
///
/// #[apiview]
/// #[paginate(page_size = 2)]
/// fn squares(page: PageRequest) -> Page<u64> {
///     let items = (page.offset()..100).take(page.limit() as usize).map(|n| n * n).collect();
///     Page::new(items, 100)
/// }
///
/// // Called directly, as a unit test would:
/// let page = PageRequest::new(apiview::meta::PageStyle::PageNumber, 4, 2);
/// assert_eq!((page.page_number(), page.offset(), page.limit()), (3, 4, 2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    style: PageStyle,
    offset: u64,
    limit: u64,
    cursor: Option<String>,
    /// Whether the request named its size (the links then keep it).
    sized: bool,
}

impl PageRequest {
    /// A request for `limit` items from `offset` (for tests of an endpoint's
    /// function; requests are read by `#[paginate]`).
    ///
    /// ```
    /// use apiview_core::paginate::{PageRequest, PageStyle};
    ///
    /// let page = PageRequest::new(PageStyle::LimitOffset, 10, 5);
    /// assert_eq!((page.offset(), page.limit(), page.cursor()), (10, 5, None));
    /// ```
    pub fn new(style: PageStyle, offset: u64, limit: u64) -> PageRequest {
        PageRequest {
            style,
            offset,
            limit: limit.max(1),
            cursor: None,
            sized: false,
        }
    }

    /// Reads the page from a query string (`None`: no query): `page`/`page_size`,
    /// `limit`/`offset` or `cursor`/`page_size` as `style` says. A size over
    /// `max_page_size` is clamped to it; a bad value is `BadParameter` naming it.
    ///
    /// ```
    /// use apiview_core::paginate::{CursorKey, PageRequest, PageStyle};
    ///
    /// let key = CursorKey::new("k");
    /// let read = |query| PageRequest::from_query(PageStyle::PageNumber, Some(query), 20, 100, &key, "/n");
    /// assert_eq!(read("page=3&page_size=10").unwrap().offset(), 20);
    /// assert_eq!(read("page_size=1000").unwrap().limit(), 100);
    /// assert_eq!(read("page=0").unwrap_err().message(), "Bad parameter: page. must be a whole number from 1.");
    /// assert!(read("page=-1").is_err());
    /// assert!(read("page=99999999999999999999").is_err());
    /// ```
    pub fn from_query(
        style: PageStyle,
        query: Option<&str>,
        page_size: u64,
        max_page_size: u64,
        key: &CursorKey,
        path: &str,
    ) -> Result<PageRequest, BizError> {
        let max_page_size = max_page_size.max(1);
        let [position_name, size_name] = style.query_params();
        let (mut position, mut size) = (None, None);
        for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            // The last of repeated keys wins, as in Django's QueryDict.
            if name == position_name {
                position = Some(value);
            } else if name == size_name {
                size = Some(value);
            }
        }
        let sized = size.is_some();
        let limit = match &size {
            Some(size) => positive(size_name, size)?,
            None => page_size.max(1),
        }
        .min(max_page_size);
        let (offset, cursor) = match style {
            PageStyle::PageNumber => {
                let page = match &position {
                    Some(page) => positive(position_name, page)?,
                    None => 1,
                };
                let offset = (page - 1)
                    .checked_mul(limit)
                    .ok_or_else(|| BizError::bad_parameter_because(position_name, "is past any page"))?;
                (offset, None)
            }
            PageStyle::LimitOffset => {
                let offset = match &position {
                    Some(offset) => number(position_name, offset)?,
                    None => 0,
                };
                (offset, None)
            }
            PageStyle::Cursor => {
                let cursor = match &position {
                    Some(cursor) => Some(key.verify(path, cursor)?),
                    None => None,
                };
                (0, cursor)
            }
        };
        Ok(PageRequest {
            style,
            offset,
            limit,
            cursor,
            sized,
        })
    }

    /// How many items to skip (0 for the cursor style).
    ///
    /// ```
    /// # use apiview_core::paginate::{PageRequest, PageStyle};
    /// assert_eq!(PageRequest::new(PageStyle::PageNumber, 40, 20).offset(), 40);
    /// ```
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// How many items the page holds at most (at least 1, at most `max_page_size`).
    ///
    /// ```
    /// # use apiview_core::paginate::{PageRequest, PageStyle};
    /// assert_eq!(PageRequest::new(PageStyle::PageNumber, 0, 20).limit(), 20);
    /// ```
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Where a cursor page starts: what the previous page's [`Page::cursor`](super::Page::cursor)
    /// gave, verified; `None` for the first page (and the other styles).
    ///
    /// ```
    /// # use apiview_core::paginate::{CursorKey, PageRequest, PageStyle};
    /// let key = CursorKey::new("k");
    /// let query = format!("cursor={}", key.sign("/n", "id:9"));
    /// let page = PageRequest::from_query(PageStyle::Cursor, Some(&query), 20, 100, &key, "/n").unwrap();
    /// assert_eq!(page.cursor(), Some("id:9"));
    /// ```
    pub fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }

    /// The page number, from 1 (`offset / limit + 1`).
    ///
    /// ```
    /// # use apiview_core::paginate::{PageRequest, PageStyle};
    /// assert_eq!(PageRequest::new(PageStyle::PageNumber, 40, 20).page_number(), 3);
    /// ```
    pub fn page_number(&self) -> u64 {
        self.offset / self.limit + 1
    }

    /// The style the request was read in.
    ///
    /// ```
    /// # use apiview_core::paginate::{PageRequest, PageStyle};
    /// assert_eq!(PageRequest::new(PageStyle::Cursor, 0, 5).style(), PageStyle::Cursor);
    /// ```
    pub fn style(&self) -> PageStyle {
        self.style
    }

    pub(crate) fn sized(&self) -> bool {
        self.sized
    }
}

/// A whole number (digits only: no sign, no spaces, no overflow).
fn number(name: &str, text: &str) -> Result<u64, BizError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BizError::bad_parameter_because(name, "must be a whole number"));
    }
    text.parse()
        .map_err(|_| BizError::bad_parameter_because(name, "is too large"))
}

/// A whole number from 1.
fn positive(name: &str, text: &str) -> Result<u64, BizError> {
    match number(name, text) {
        Ok(0) | Err(_) => Err(BizError::bad_parameter_because(
            name,
            "must be a whole number from 1",
        )),
        Ok(n) => Ok(n),
    }
}
