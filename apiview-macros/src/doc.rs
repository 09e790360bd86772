//! The doc-comment grammar (django-apiview's docstring), parsed at compile time:
//! summary, description above the `--------` line, then `@methods`,
//! `@parameter: NAME {{{ YAML }}}` and `@response: STATUS OK|ERROR "description"
//! {{{ YAML }}}`. A malformed block is an error at its doc line.

use apiview_grammar::Method;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::Attribute;

use crate::attr::Attr;
use crate::ctxt::Ctxt;

pub const LOCATIONS: &[&str] = &["body", "formData", "query", "path", "header", "cookie"];

/// One line of the doc comment and the span of the attribute it came from.
struct Line {
    text: String,
    span: Span,
}

pub struct Parameter {
    pub name: String,
    pub location: String,
    pub spec_json: String,
}

pub struct Response {
    pub status: u16,
    pub ok: bool,
    pub description: String,
    pub example_json: String,
}

#[derive(Default)]
pub struct Doc {
    /// The whole text, common indentation removed.
    pub text: String,
    pub summary: String,
    pub description: String,
    pub methods: Attr<(Vec<Method>, Span)>,
    pub parameters: Vec<Parameter>,
    pub responses: Vec<Response>,
}

fn doc_lines(attrs: &[Attribute]) -> Vec<Line> {
    let mut lines = Vec::new();
    for attr in attrs {
        let syn::Meta::NameValue(nv) = &attr.meta else {
            continue;
        };
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        }) = &nv.value
        else {
            continue;
        };
        for text in lit.value().replace("\r\n", "\n").replace('\r', "\n").split('\n') {
            lines.push(Line {
                text: text.replace('\t', "    "),
                span: attr.span(),
            });
        }
    }
    // Strip the indentation common to every non-empty line (not each line's own),
    // so that YAML blocks and markdown keep their shape.
    let common = common_indent(&lines);
    for line in &mut lines {
        line.text = if line.text.trim().is_empty() {
            String::new()
        } else {
            line.text.chars().skip(common).collect()
        };
    }
    lines
}

fn is_separator(line: &str) -> bool {
    let line = line.trim();
    line.len() >= 8 && line.bytes().all(|b| b == b'-')
}

pub fn parse(cx: &Ctxt, attrs: &[Attribute]) -> Doc {
    let lines = doc_lines(attrs);
    let mut doc = Doc {
        text: lines
            .iter()
            .map(|line| line.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_owned(),
        ..Doc::default()
    };
    let separator = lines.iter().position(|line| is_separator(&line.text));
    let above = &lines[..separator.unwrap_or(lines.len())];
    if let Some(first) = above.iter().position(|line| !line.text.trim().is_empty()) {
        doc.summary = above[first].text.trim().to_owned();
        doc.description = above[first + 1..]
            .iter()
            .map(|line| line.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_owned();
    }
    let Some(separator) = separator else {
        return doc;
    };
    let below = &lines[separator + 1..];
    let mut index = 0;
    while index < below.len() {
        let line = &below[index];
        let text = line.text.trim();
        index += 1;
        let Some(directive) = text.strip_prefix('@') else {
            continue;
        };
        let (name, rest) = directive.split_once(':').unwrap_or((directive, ""));
        match name.trim() {
            "methods" => parse_methods(cx, &mut doc, rest, line.span),
            "parameter" | "response" => {
                let header = rest.trim();
                let Some(header) = header.strip_suffix("{{{").map(str::trim) else {
                    cx.error_at(
                        line.span,
                        format!("@{name}: the line must end with `{{{{{{` opening its YAML block"),
                    );
                    continue;
                };
                let start = index;
                let Some(end) = below[start..].iter().position(|l| l.text.trim() == "}}}") else {
                    cx.error_at(
                        line.span,
                        format!("@{name} block is not closed: add a line holding only `}}}}}}`"),
                    );
                    return doc;
                };
                let block = dedent_block(&below[start..start + end]);
                index = start + end + 1;
                let yaml = match parse_yaml(&block) {
                    Ok(value) => value,
                    Err(err) => {
                        cx.error_at(line.span, format!("@{name} block is not valid YAML: {err}"));
                        continue;
                    }
                };
                if name.trim() == "parameter" {
                    parse_parameter(cx, &mut doc, header, yaml, line.span);
                } else {
                    parse_response(cx, &mut doc, header, yaml, line.span);
                }
            }
            other => cx.error_at(
                line.span,
                format!("unknown doc directive `@{other}`; expected @methods, @parameter or @response"),
            ),
        }
    }
    doc
}

/// The indentation shared by every non-empty line.
fn common_indent(lines: &[Line]) -> usize {
    lines
        .iter()
        .filter(|line| !line.text.trim().is_empty())
        .map(|line| line.text.chars().take_while(|c| c.is_whitespace()).count())
        .min()
        .unwrap_or(0)
}

fn dedent_block(lines: &[Line]) -> String {
    let common = common_indent(lines);
    lines
        .iter()
        .map(|line| line.text.chars().skip(common).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_yaml(block: &str) -> Result<serde_json::Value, String> {
    if block.trim().is_empty() {
        return Ok(serde_json::Value::Null);
    }
    yaml_serde::from_str::<serde_json::Value>(block).map_err(|err| err.to_string())
}

fn parse_methods(cx: &Ctxt, doc: &mut Doc, rest: &str, span: Span) {
    let mut methods = Vec::new();
    for name in rest
        .split(',')
        .map(|m| m.trim().to_ascii_lowercase())
        .filter(|m| !m.is_empty())
    {
        match Method::parse(&name) {
            None => cx.error_at(
                span,
                format!(
                    "@methods: `{name}` is not an HTTP method; expected: {}",
                    Method::names()
                ),
            ),
            Some(method) if !methods.contains(&method) => methods.push(method),
            Some(_) => {}
        }
    }
    if methods.is_empty() {
        cx.error_at(span, "@methods lists no method: write `@methods: get, post`");
    }
    doc.methods.set_at(cx, "@methods", span, (methods, span));
}

fn parse_parameter(cx: &Ctxt, doc: &mut Doc, header: &str, yaml: serde_json::Value, span: Span) {
    if header.is_empty()
        || !header
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    {
        cx.error_at(
            span,
            format!(
                "@parameter needs a name before `{{{{{{`, like `@parameter: msg {{{{{{`; found `{header}`"
            ),
        );
        return;
    }
    let serde_json::Value::Object(fields) = &yaml else {
        cx.error_at(
            span,
            "@parameter block must be a YAML mapping (`in: query`, `required: true`, …)",
        );
        return;
    };
    let location = match fields.get("in") {
        None => "query".to_owned(),
        Some(serde_json::Value::String(location)) if LOCATIONS.contains(&location.as_str()) => {
            location.clone()
        }
        Some(other) => {
            cx.error_at(
                span,
                format!(
                    "@parameter {header}: `in: {other}` is unknown; expected one of: {}",
                    LOCATIONS.join(", ")
                ),
            );
            return;
        }
    };
    doc.parameters.push(Parameter {
        name: header.to_owned(),
        location,
        spec_json: yaml.to_string(),
    });
}

fn parse_response(cx: &Ctxt, doc: &mut Doc, header: &str, yaml: serde_json::Value, span: Span) {
    let (status, rest) = header.split_once(char::is_whitespace).unwrap_or((header, ""));
    let status = match status.parse::<u16>() {
        Ok(status) if (100..=599).contains(&status) => status,
        _ => {
            cx.error_at(span, format!("@response: `{status}` is not an HTTP status; write `@response: 200 OK \"description\" {{{{{{`"));
            return;
        }
    };
    let rest = rest.trim();
    let (flag, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let ok = match flag {
        "OK" => true,
        "ERROR" => false,
        other => {
            cx.error_at(
                span,
                format!("@response: `{other}` must be OK (a result) or ERROR (an error)"),
            );
            return;
        }
    };
    let rest = rest.trim();
    let description = if rest.is_empty() {
        String::new()
    } else if rest.len() >= 2 && rest.starts_with('"') && rest.ends_with('"') {
        rest[1..rest.len() - 1].to_owned()
    } else {
        cx.error_at(
            span,
            format!("@response: the description must be in double quotes, found `{rest}`"),
        );
        return;
    };
    if !ok {
        let is_error = matches!(&yaml, serde_json::Value::Object(fields)
            if fields.get("code").is_some_and(|c| c.is_i64()) && fields.get("message").is_some_and(|m| m.is_string()));
        if !is_error {
            cx.error_at(
                span,
                "an ERROR @response block is the error: `{\"code\": 1234, \"message\": \"…\"}`",
            );
            return;
        }
    }
    doc.responses.push(Response {
        status,
        ok,
        description,
        example_json: yaml.to_string(),
    });
}
