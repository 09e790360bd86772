//! A path several endpoints share, each allowing methods no other allows (REST's
//! `GET /snippets/` to list and `POST /snippets/` to create): the request's method
//! picks the endpoint.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::Either;
use poem::endpoint::BoxEndpoint;
use poem::{Endpoint, Request, Response};

use super::pack::{pack_refusal, with_allow};
use super::Runtime;
use crate::error::BizError;
use crate::guard::methods::AllowedMethods;
use crate::packer::Packer;

/// The endpoints at one path, each with the methods it allows. A method none of them
/// allows is refused as one endpoint refuses it (`NotSupportedHttpMethod`, in semantic
/// mode a 405 whose `Allow` names every method of the path), packed by `packer`.
pub(crate) struct ByMethod {
    endpoints: Box<[(AllowedMethods, BoxEndpoint<'static, Response>)]>,
    /// Every method one of the endpoints allows.
    methods: AllowedMethods,
    runtime: Arc<Runtime>,
    packer: Arc<dyn Packer>,
}

impl ByMethod {
    pub(crate) fn new(
        endpoints: Vec<(AllowedMethods, BoxEndpoint<'static, Response>)>,
        runtime: Arc<Runtime>,
        packer: Arc<dyn Packer>,
    ) -> Self {
        let methods = AllowedMethods::union(endpoints.iter().map(|(methods, _)| methods));
        ByMethod {
            endpoints: endpoints.into_boxed_slice(),
            methods,
            runtime,
            packer,
        }
    }
}

impl Endpoint for ByMethod {
    type Output = Response;

    // Not an `async fn`: the chosen endpoint's future is the answer's, unwrapped.
    fn call(&self, req: Request) -> impl Future<Output = poem::Result<Response>> + Send {
        match self
            .endpoints
            .iter()
            .find(|(methods, _)| methods.allows(req.method()))
        {
            Some((_, endpoint)) => Either::Left(endpoint.call(req)),
            None => {
                let error = BizError::not_supported_http_method();
                let refused = pack_refusal(&self.runtime, &*self.packer, req, error);
                Either::Right(std::future::ready(Ok(with_allow(
                    refused,
                    &self.runtime,
                    &self.methods,
                ))))
            }
        }
    }
}
