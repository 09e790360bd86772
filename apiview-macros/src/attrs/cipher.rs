//! `rsa_decrypt` and `decode_encrypted_data`.

use syn::spanned::Spanned;
use syn::{Attribute, Ident, LitStr};

use super::args::{ident_of, lit_str, Args};
use super::Helpers;
use crate::ctxt::Ctxt;

pub struct RsaDecrypt {
    pub field: Ident,
    pub key: Option<LitStr>,
}

pub fn rsa_decrypt(cx: &Ctxt, attr: &Attribute, args: &Args, helpers: &mut Helpers) {
    const USAGE: &str = "#[rsa_decrypt(password)] or #[rsa_decrypt(password, key = \"keys/other.pem\")]";
    args.reject_unknown(cx, "rsa_decrypt", &["key"]);
    let field = match args.positional.as_slice() {
        [one] => match ident_of(one) {
            Some(ident) => ident.clone(),
            None => {
                cx.error_spanned_by(
                    one,
                    format!("#[rsa_decrypt] names the parameter to decrypt: {USAGE}"),
                );
                return;
            }
        },
        _ => {
            cx.error_spanned_by(attr, format!("#[rsa_decrypt] takes one parameter: {USAGE}"));
            return;
        }
    };
    let key = args.option("key").and_then(|expr| lit_str(cx, expr, "key"));
    if let Some(key) = &key {
        if key.value().trim().is_empty() {
            cx.error_spanned_by(
                key,
                "key names a PEM file; omit it to use settings' safe.server_private_key",
            );
        }
    }
    let name = format!("#[rsa_decrypt({field})]");
    helpers.rsa_decrypt.insert(
        cx,
        name,
        &field,
        field.clone(),
        RsaDecrypt {
            field: field.clone(),
            key,
        },
    );
}

pub fn decode_encrypted_data(cx: &Ctxt, attr: &Attribute, args: &Args, helpers: &mut Helpers) {
    if !args.is_empty() {
        cx.error_spanned_by(attr, "#[decode_encrypted_data] takes no arguments");
    }
    helpers
        .decode_encrypted_data
        .set(cx, "#[decode_encrypted_data]", attr, attr.span());
}
