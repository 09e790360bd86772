//! Uploaded files (DESIGN §12): a multipart file part, held in memory or spooled to
//! a temporary file, and the parameter types that take them.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use tempfile::NamedTempFile;

use crate::error::{reasons, BizError};

/// An uploaded file: the multipart part of a parameter's name, taken as a parameter of
/// type `Upload`, `Option<Upload>` or `Vec<Upload>`.
///
/// A part up to `limits.upload_memory_bytes` is held in memory; a larger one is
/// written to a temporary file as it arrives (in `limits.upload_dir`), removed when
/// the `Upload` is dropped, unless [`Upload::into_temp_file`] took it. A part over
/// `limits.max_upload_bytes` is refused with `TooLargeRequestError`, and the body as a
/// whole is bounded by `body_limit`, or by the endpoint's `#[apiview(body_limit = N)]`.
///
/// ```
/// use apiview::prelude::*;
/// use apiview::Upload;
///
/// #[apiview]
/// #[allow_post]
/// async fn attach(file: Upload, note: Option<String>) -> apiview::Result<serde_json::Value> {
///     let bytes = file.bytes().await?;
///     Ok(serde_json::json!({
///         "filename": file.filename(),
///         "size": file.size(),
///         "first": bytes.first(),
///         "note": note,
///     }))
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// # use poem::{Endpoint, Request};
/// let app = App::new(Settings::default()).at("/attach", attach).into_endpoint();
/// let body = "--X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello\r\n\
///             --X\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--X--\r\n";
/// let request = Request::builder()
///     .method(poem::http::Method::POST)
///     .uri_str("/attach")
///     .content_type("multipart/form-data; boundary=X")
///     .body(body);
/// let answer: serde_json::Value = app.get_response(request).await.into_body().into_json().await.unwrap();
/// assert_eq!(
///     answer["result"],
///     serde_json::json!({"filename": "a.txt", "size": 5, "first": b'h', "note": "hi"})
/// );
/// # });
/// ```
pub struct Upload {
    filename: Option<String>,
    content_type: Option<String>,
    size: u64,
    data: Data,
    /// `limits.upload_dir`, where [`Upload::into_temp_file`] writes a file held in
    /// memory; `None`: the system's temporary folder.
    dir: Option<Arc<Path>>,
}

/// Where an upload's bytes are.
pub(crate) enum Data {
    Memory(Bytes),
    Spooled(NamedTempFile),
}

impl Upload {
    /// An upload held in memory, as a part of `bytes` would arrive: for calling an
    /// endpoint function directly, in a test.
    ///
    /// ```
    /// use apiview::Upload;
    ///
    /// let upload = Upload::from_bytes(Some("notes.txt"), Some("text/plain"), "hello");
    /// assert_eq!((upload.filename(), upload.content_type(), upload.size()), (Some("notes.txt"), Some("text/plain"), 5));
    /// assert!(!upload.is_spooled());
    /// ```
    pub fn from_bytes(filename: Option<&str>, content_type: Option<&str>, bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Upload {
            filename: filename.and_then(base_name),
            content_type: content_type.map(str::to_owned),
            size: bytes.len() as u64,
            data: Data::Memory(bytes),
            dir: None,
        }
    }

    /// A part as the body reader kept it: in memory, or in `file`.
    pub(crate) fn received(
        filename: Option<&str>,
        content_type: Option<&str>,
        size: u64,
        data: Data,
        dir: Option<Arc<Path>>,
    ) -> Self {
        Upload {
            filename: filename.and_then(base_name),
            content_type: content_type.map(str::to_owned),
            size,
            data,
            dir,
        }
    }

    /// The file name the client gave, reduced to its last component (`../../x.txt` is
    /// `x.txt`, as Django does), without control characters; `None` when the part had
    /// none, or nothing is left. Still the client's text: never a path to trust.
    ///
    /// ```
    /// use apiview::Upload;
    ///
    /// assert_eq!(Upload::from_bytes(Some("../../etc/passwd"), None, "").filename(), Some("passwd"));
    /// assert_eq!(Upload::from_bytes(Some("C:\\temp\\a.png"), None, "").filename(), Some("a.png"));
    /// assert_eq!(Upload::from_bytes(Some(".."), None, "").filename(), None);
    /// ```
    pub fn filename(&self) -> Option<&str> {
        self.filename.as_deref()
    }

    /// The part's `Content-Type`, as the client declared it (not checked against the
    /// bytes).
    ///
    /// ```
    /// use apiview::Upload;
    ///
    /// assert_eq!(Upload::from_bytes(None, Some("image/png"), "").content_type(), Some("image/png"));
    /// ```
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The file's size in bytes.
    ///
    /// ```
    /// use apiview::Upload;
    ///
    /// assert_eq!(Upload::from_bytes(None, None, vec![0u8; 3]).size(), 3);
    /// ```
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether the file was spooled to a temporary file (it was larger than
    /// `limits.upload_memory_bytes`).
    ///
    /// ```
    /// use apiview::Upload;
    ///
    /// assert!(!Upload::from_bytes(None, None, "small").is_spooled());
    /// ```
    pub fn is_spooled(&self) -> bool {
        matches!(self.data, Data::Spooled(_))
    }

    /// The temporary file's path, for a spooled upload.
    ///
    /// ```
    /// use apiview::Upload;
    ///
    /// assert_eq!(Upload::from_bytes(None, None, "small").path(), None);
    /// ```
    pub fn path(&self) -> Option<&Path> {
        match &self.data {
            Data::Memory(_) => None,
            Data::Spooled(file) => Some(file.path()),
        }
    }

    /// The whole file in memory: free for a file held in memory, read from its
    /// temporary file otherwise.
    ///
    /// ```
    /// use apiview::Upload;
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let upload = Upload::from_bytes(None, None, "hello");
    /// assert_eq!(upload.bytes().await.unwrap(), "hello");
    /// # });
    /// ```
    pub async fn bytes(&self) -> Result<Bytes, BizError> {
        match &self.data {
            Data::Memory(bytes) => Ok(bytes.clone()),
            Data::Spooled(file) => tokio::fs::read(file.path())
                .await
                .map(Bytes::from)
                .map_err(|err| spool_failed("reading", &err)),
        }
    }

    /// The file as a named temporary file, which the caller may read, or keep with
    /// `persist(path)` (a rename, when on the same file system); removed when dropped
    /// otherwise. A file held in memory is written to a new one first.
    ///
    /// ```
    /// use apiview::Upload;
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let file = Upload::from_bytes(None, None, "hello").into_temp_file().await.unwrap();
    /// assert_eq!(std::fs::read(file.path()).unwrap(), b"hello");
    /// # });
    /// ```
    pub async fn into_temp_file(self) -> Result<NamedTempFile, BizError> {
        match self.data {
            Data::Spooled(file) => Ok(file),
            Data::Memory(bytes) => tokio::task::spawn_blocking(move || {
                use std::io::Write;
                let mut file = temp_file(self.dir.as_deref())?;
                file.write_all(&bytes)?;
                file.flush()?;
                Ok(file)
            })
            .await
            .unwrap_or_else(|join| Err(std::io::Error::other(join)))
            .map_err(|err| spool_failed("writing", &err)),
        }
    }
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("size", &self.size)
            .field("path", &self.path())
            .finish()
    }
}

/// A new temporary file in `dir`, or in the system's temporary folder.
pub(crate) fn temp_file(dir: Option<&Path>) -> std::io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("apiview-upload-");
    match dir {
        Some(dir) => builder.tempfile_in(dir),
        None => builder.tempfile(),
    }
}

/// A failed read or write of a temporary file: logged, answered `SysError`.
pub(crate) fn spool_failed(doing: &str, err: &std::io::Error) -> BizError {
    tracing::error!(%err, "{doing} an upload's temporary file failed");
    BizError::sys_error()
}

/// The last component of a client's file name, without control characters.
fn base_name(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = last.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim();
    (!matches!(clean, "" | "." | "..")).then(|| clean.to_owned())
}

/// A parameter type filled from the request's uploaded files: `Upload` (exactly one
/// part of its name), `Option<Upload>` (at most one) or `Vec<Upload>` (any number).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be filled from uploaded files",
    note = "take `Upload`, `Option<Upload>` or `Vec<Upload>`"
)]
pub trait FromUploads: Sized {
    /// The value of parameter `name` from the parts of that name.
    fn from_uploads(name: &str, uploads: Vec<Upload>) -> Result<Self, BizError>;
}

impl FromUploads for Upload {
    fn from_uploads(name: &str, uploads: Vec<Upload>) -> Result<Self, BizError> {
        match Option::<Upload>::from_uploads(name, uploads)? {
            Some(upload) => Ok(upload),
            None => Err(BizError::missing_parameter(name)),
        }
    }
}

impl FromUploads for Option<Upload> {
    fn from_uploads(name: &str, uploads: Vec<Upload>) -> Result<Self, BizError> {
        if uploads.len() > 1 {
            return Err(BizError::bad_parameter_for(name, reasons::ONE_FILE));
        }
        Ok(uploads.into_iter().next())
    }
}

impl FromUploads for Vec<Upload> {
    fn from_uploads(_name: &str, uploads: Vec<Upload>) -> Result<Self, BizError> {
        Ok(uploads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_their_last_component() {
        for (given, kept) in [
            ("a.txt", Some("a.txt")),
            ("dir/a.txt", Some("a.txt")),
            ("..\\..\\a.txt", Some("a.txt")),
            ("a\u{0}b\n.txt", Some("ab.txt")),
            ("dir/", None),
            ("  ", None),
            (".", None),
        ] {
            assert_eq!(base_name(given).as_deref(), kept, "{given:?}");
        }
    }

    #[test]
    fn one_upload_is_exactly_one_part() {
        let two = || {
            vec![
                Upload::from_bytes(None, None, "a"),
                Upload::from_bytes(None, None, "b"),
            ]
        };
        assert_eq!(
            Upload::from_uploads("file", Vec::new()).unwrap_err().code(),
            1001060001
        );
        assert_eq!(
            Upload::from_uploads("file", two()).unwrap_err().code(),
            1001060002
        );
        assert!(Option::<Upload>::from_uploads("file", Vec::new())
            .unwrap()
            .is_none());
        assert_eq!(Vec::<Upload>::from_uploads("file", two()).unwrap().len(), 2);
    }
}
