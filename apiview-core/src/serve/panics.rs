//! Panics caught in endpoints are logged once, with their message and location, by
//! the request's own error event: the process's panic hook would print a backtrace
//! per request (27 KB with `RUST_BACKTRACE=1`), which a client could trigger at will.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::sync::Once;
use std::task::{Context, Poll};

thread_local! {
    /// Whether this thread is running an endpoint's code now.
    static IN_ENDPOINT: Cell<bool> = const { Cell::new(false) };
    /// Where the last quiet panic on this thread happened.
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs, once per process, a hook that stays quiet for panics inside an
/// endpoint and hands any other panic to the hook that was there before.
pub(crate) fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_ENDPOINT.with(Cell::get) {
                let location = info.location().map(|at| format!("{}:{}", at.file(), at.line()));
                LOCATION.with(|last| *last.borrow_mut() = location);
            } else {
                previous(info);
            }
        }));
    });
}

/// The location of the last panic caught quietly on this thread.
pub(crate) fn last_location() -> Option<String> {
    LOCATION.with(|last| last.borrow_mut().take())
}

/// Marks this thread as running endpoint code until dropped, even by a panic.
struct Marked(bool);

impl Marked {
    fn new() -> Self {
        Marked(IN_ENDPOINT.with(|flag| flag.replace(true)))
    }
}

impl Drop for Marked {
    fn drop(&mut self) {
        IN_ENDPOINT.with(|flag| flag.set(self.0));
    }
}

/// Runs `f` as endpoint code: a panic in it is left to the endpoint's catch.
pub(crate) fn quietly<R>(f: impl FnOnce() -> R) -> R {
    let _marked = Marked::new();
    f()
}

pin_project_lite::pin_project! {
    /// A future whose polls run [`quietly`].
    pub(crate) struct Quiet<F> {
        #[pin]
        pub(crate) inner: F,
    }
}

impl<F: Future> Future for Quiet<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _marked = Marked::new();
        self.project().inner.poll(cx)
    }
}

/// A panic's message, or a stand-in for a payload that is not text.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    if let Some(text) = panic.downcast_ref::<&'static str>() {
        text
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text
    } else {
        "(a panic without a message)"
    }
}

/// Runs a blocking endpoint body on tokio's blocking pool; a panic there is
/// returned as the panic's message.
pub async fn run_blocking<R: Send + 'static>(
    body: impl FnOnce() -> R + Send + 'static,
) -> std::result::Result<R, String> {
    tokio::task::spawn_blocking(move || quietly(body))
        .await
        .map_err(|err| match err.try_into_panic() {
            Ok(panic) => panic_message(&*panic).to_owned(),
            Err(err) => err.to_string(),
        })
}
