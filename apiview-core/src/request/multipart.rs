//! A `multipart/form-data` body, read as it arrives: text parts become form fields,
//! the file parts of the endpoint's `Upload` parameters are kept (in memory, or
//! spooled to a temporary file over `limits.upload_memory_bytes`), and every other
//! file part is read past without being kept.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt;

use super::upload::{spool_failed, temp_file, Data, Upload};
use crate::error::{reasons, BizError};
use crate::settings::Settings;

/// `[limits]` for uploaded files.
#[derive(Debug, Clone)]
pub(crate) struct UploadLimits {
    /// A file part over this is spooled to a temporary file.
    pub(crate) memory_bytes: u64,
    /// The largest file part.
    pub(crate) max_bytes: u64,
    /// Where spooled parts are written; `None`: the system's temporary folder.
    pub(crate) dir: Option<Arc<Path>>,
}

impl UploadLimits {
    pub(crate) fn of(settings: &Settings) -> Self {
        let limits = &settings.limits;
        UploadLimits {
            memory_bytes: limits.upload_memory_bytes,
            max_bytes: limits.max_upload_bytes,
            dir: (!limits.upload_dir.is_empty()).then(|| Arc::from(Path::new(&limits.upload_dir))),
        }
    }
}

/// What a multipart body held.
pub(crate) struct Multipart {
    /// The text parts, in order.
    pub(crate) fields: Vec<(String, String)>,
    /// The file parts the endpoint takes, by parameter name, in order.
    pub(crate) uploads: Vec<(String, Upload)>,
    /// Bytes kept in memory: text and the files not spooled.
    pub(crate) in_memory: usize,
}

/// The rules of one read.
pub(crate) struct MultipartRules<'a> {
    /// The body's size limit (`body_limit`, or the endpoint's).
    pub(crate) limit: u64,
    pub(crate) max_parts: usize,
    pub(crate) uploads: &'a UploadLimits,
    /// The names of the endpoint's `Upload` parameters.
    pub(crate) upload_names: &'a [&'static str],
}

/// Reads a multipart body from its stream. Every error leaves nothing on disk: a
/// spooled file is removed when its `Upload` (or the part being written) drops.
pub(crate) async fn read(
    content_type: &str,
    body: poem::Body,
    rules: MultipartRules<'_>,
) -> Result<Multipart, BizError> {
    let boundary = multer::parse_boundary(content_type).map_err(|err| malformed(&err.to_string()))?;
    let seen = Arc::new(AtomicU64::new(0));
    let limit = rules.limit;
    let stream = body.into_bytes_stream().map({
        let seen = seen.clone();
        move |chunk| {
            let chunk = chunk?;
            let total = seen.fetch_add(chunk.len() as u64, Ordering::Relaxed) + chunk.len() as u64;
            if total > limit {
                return Err(std::io::Error::other("the body is over its limit"));
            }
            Ok(chunk)
        }
    });
    let failed = |err: multer::Error| {
        let total = seen.load(Ordering::Relaxed);
        if total > limit {
            return BizError::too_large_request(total, limit);
        }
        match err {
            multer::Error::StreamReadFailed(err) => {
                tracing::debug!(%err, "reading the request body failed");
                BizError::bad_parameter_for("_payload", reasons::BODY_UNREADABLE)
            }
            other => malformed(&other.to_string()),
        }
    };
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut read = Multipart {
        fields: Vec::new(),
        uploads: Vec::new(),
        in_memory: 0,
    };
    let mut parts = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(failed)? {
        parts += 1;
        if parts > rules.max_parts {
            return Err(BizError::bad_parameter_for(
                "_payload",
                reasons::TOO_MANY_FORM_FIELDS,
            ));
        }
        let name = field.name().map(str::to_owned);
        match name {
            Some(name) if rules.upload_names.contains(&name.as_str()) => {
                let filename = field.file_name().map(str::to_owned);
                let content_type = field.content_type().map(ToString::to_string);
                let (size, data) = spool(&mut field, rules.uploads, failed).await?;
                // An empty file input: browsers send a nameless, empty part.
                if size == 0 && filename.as_deref().is_none_or(str::is_empty) {
                    continue;
                }
                if let Data::Memory(bytes) = &data {
                    read.in_memory += bytes.len();
                }
                let dir = rules.uploads.dir.clone();
                let upload = Upload::received(filename.as_deref(), content_type.as_deref(), size, data, dir);
                read.uploads.push((name, upload));
            }
            // A file part no parameter takes is read past, not kept.
            _ if field.file_name().is_some() => while field.chunk().await.map_err(failed)?.is_some() {},
            Some(name) => {
                let text = field.text().await.map_err(failed)?;
                read.in_memory += name.len() + text.len();
                read.fields.push((name, text));
            }
            None => while field.chunk().await.map_err(failed)?.is_some() {},
        }
    }
    Ok(read)
}

/// Reads one file part: in memory up to `limits.upload_memory_bytes`, then into a
/// temporary file; over `limits.max_upload_bytes`, refused.
async fn spool(
    field: &mut multer::Field<'_>,
    limits: &UploadLimits,
    failed: impl Fn(multer::Error) -> BizError,
) -> Result<(u64, Data), BizError> {
    let mut size: u64 = 0;
    let mut memory: Vec<Bytes> = Vec::new();
    let mut spooled: Option<(NamedTempFile, tokio::fs::File)> = None;
    let write_failed = |err: std::io::Error| spool_failed("writing", &err);
    while let Some(chunk) = field.chunk().await.map_err(&failed)? {
        size += chunk.len() as u64;
        if size > limits.max_bytes {
            return Err(BizError::too_large_request(size, limits.max_bytes));
        }
        match &mut spooled {
            Some((_, out)) => out.write_all(&chunk).await.map_err(write_failed)?,
            None if size > limits.memory_bytes => {
                let (file, mut out) = create(limits.dir.clone()).await.map_err(write_failed)?;
                for piece in memory.drain(..) {
                    out.write_all(&piece).await.map_err(write_failed)?;
                }
                out.write_all(&chunk).await.map_err(write_failed)?;
                spooled = Some((file, out));
            }
            None => memory.push(chunk),
        }
    }
    if let Some((file, mut out)) = spooled {
        // tokio's file writes in the background: flushed, the bytes are in the file.
        out.flush().await.map_err(write_failed)?;
        return Ok((size, Data::Spooled(file)));
    }
    Ok((size, Data::Memory(concat(memory))))
}

/// A temporary file, and a handle to write it through tokio.
async fn create(dir: Option<Arc<Path>>) -> std::io::Result<(NamedTempFile, tokio::fs::File)> {
    tokio::task::spawn_blocking(move || {
        let file = temp_file(dir.as_deref())?;
        let out = file.as_file().try_clone()?;
        Ok((file, tokio::fs::File::from_std(out)))
    })
    .await
    .unwrap_or_else(|join| Err(std::io::Error::other(join)))
}

fn concat(mut pieces: Vec<Bytes>) -> Bytes {
    if pieces.len() <= 1 {
        return pieces.pop().unwrap_or_default();
    }
    let mut whole = BytesMut::with_capacity(pieces.iter().map(Bytes::len).sum());
    for piece in pieces {
        whole.extend_from_slice(&piece);
    }
    whole.freeze()
}

fn malformed(detail: &str) -> BizError {
    tracing::debug!(detail, "malformed multipart body");
    BizError::bad_parameter_for("_payload", reasons::MULTIPART_MALFORMED)
}
