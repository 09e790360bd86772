//! The App's entries grouped by path, and the rule that lets several share one path:
//! no method is allowed by two of them, so that the request's method picks one.

use std::collections::HashMap;

use poem::http::Method;

use super::{AppError, Entry};
use crate::guard::methods::AllowedMethods;

/// The entries registered at one path, in registration order, each with the methods
/// it allows.
pub(super) struct PathGroup {
    /// The path as poem's router reads it (see [`poem_path`]).
    pub(super) path: String,
    /// Indexes into the App's entries, with their methods.
    pub(super) entries: Vec<(usize, AllowedMethods)>,
}

/// Groups the entries by path, in the order the paths were first registered. Entries
/// sharing a path must allow disjoint methods: an endpoint's allow-list, else
/// `default_methods` (the settings' `default_allow_methods`), as its method check
/// does.
pub(super) fn group_by_path(
    entries: &[Entry],
    default_methods: &[Method],
) -> Result<Vec<PathGroup>, AppError> {
    let mut groups: Vec<PathGroup> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        let methods = AllowedMethods::resolve(entry.meta.methods, default_methods);
        let path = poem_path(&entry.path);
        let Some(&at) = index.get(&path) else {
            index.insert(path.clone(), groups.len());
            groups.push(PathGroup {
                path,
                entries: vec![(i, methods)],
            });
            continue;
        };
        for (other, other_methods) in &groups[at].entries {
            check_apart(&entries[*other], other_methods, entry, &methods)?;
        }
        groups[at].entries.push((i, methods));
    }
    Ok(groups)
}

/// Two entries at one path: not the same function, and no method allowed by both.
fn check_apart(
    first: &Entry,
    first_methods: &AllowedMethods,
    second: &Entry,
    second_methods: &AllowedMethods,
) -> Result<(), AppError> {
    if std::ptr::eq(first.meta, second.meta) {
        return Err(AppError(format!(
            "path `{}` is registered twice with endpoint `{}`",
            second.path, second.meta.name
        )));
    }
    let shared = first_methods.shared_with(second_methods);
    if shared.is_empty() {
        return Ok(());
    }
    let (first_name, second_name) = names(first, second);
    let versions = match (first.meta.versions, second.meta.versions) {
        (Some(a), Some(b)) if a != b => {
            "; their versions do not tell them apart: at one path a method has one endpoint, which may exist in \
             several versions (#[apiview(versions = [..])])"
        }
        _ => "",
    };
    Err(AppError(format!(
        "path `{}` has two endpoints for {}: `{first_name}` ({}) and `{second_name}` ({}); endpoints may share a \
         path when no method is allowed by two of them: give each its own methods (#[allow_get], \
         #[methods(put, patch)], ..){versions}",
        second.path,
        shared.allow_header(),
        described(first, first_methods),
        described(second, second_methods),
    )))
}

/// The names of two functions, with their module paths when the names alone are the
/// same.
fn names(first: &Entry, second: &Entry) -> (String, String) {
    let (a, b) = (first.meta, second.meta);
    if a.name == b.name {
        (
            format!("{}::{}", a.module_path, a.name),
            format!("{}::{}", b.module_path, b.name),
        )
    } else {
        (a.name.to_owned(), b.name.to_owned())
    }
}

/// An entry's methods, and where they come from when it declares none.
fn described(entry: &Entry, methods: &AllowedMethods) -> String {
    match entry.meta.methods {
        Some(_) => methods.allow_header(),
        None => format!(
            "{}: it declares no methods, so settings key `default_allow_methods` gives them",
            methods.allow_header()
        ),
    }
}

/// The path as poem's router reads it: a leading `/`, each run of `/` one `/`; two
/// spellings of one path (`ping` and `/ping`) are one path.
pub(super) fn poem_path(path: &str) -> String {
    let mut normal = String::with_capacity(path.len() + 1);
    for c in std::iter::once('/').chain(path.chars()) {
        if !(c == '/' && normal.ends_with('/')) {
            normal.push(c);
        }
    }
    normal
}

#[cfg(test)]
mod tests {
    use super::poem_path;

    #[test]
    fn paths_are_spelled_as_poem_reads_them() {
        assert_eq!(poem_path("/snippets/:id/"), "/snippets/:id/");
        assert_eq!(poem_path("ping"), "/ping");
        assert_eq!(poem_path("//a///b"), "/a/b");
        assert_eq!(poem_path(""), "/");
    }
}
