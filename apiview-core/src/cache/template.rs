//! Filling cache key templates (`"add:{a}:{b}"`, read by `apiview_grammar::KeyTemplate`,
//! the grammar `#[cache]` checks at compile time) with escaped parts, and the glob
//! matching the memory backend needs for `delete_pattern`.

/// Joins literal text and escaped parts: `literals[0] parts[0] literals[1] …`.
pub(crate) fn fill(literals: &[&str], parts: &[String]) -> String {
    let mut key = String::with_capacity(literals.iter().map(|l| l.len()).sum::<usize>() + parts.len() * 8);
    for (index, literal) in literals.iter().enumerate() {
        key.push_str(literal);
        if let Some(part) = parts.get(index) {
            key.push_str(part);
        }
    }
    key
}

/// Redis-style glob matching (`*`, `?`, `[abc]`, `[a-z]`, `[^a]`, `\x`), for the
/// memory backend's `delete_pattern`.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    glob(&pattern, &text)
}

fn glob(pattern: &[char], text: &[char]) -> bool {
    let Some((&first, rest)) = pattern.split_first() else {
        return text.is_empty();
    };
    match first {
        '*' => (0..=text.len()).any(|skip| glob(rest, &text[skip..])),
        '?' => !text.is_empty() && glob(rest, &text[1..]),
        '[' => {
            let Some((&c, text_rest)) = text.split_first() else {
                return false;
            };
            let Some(close) = rest.iter().position(|&p| p == ']') else {
                return c == '[' && glob(rest, text_rest);
            };
            let (class, after) = (&rest[..close], &rest[close + 1..]);
            let (negate, class) = match class.split_first() {
                Some(('^', class)) => (true, class),
                _ => (false, class),
            };
            let mut matched = false;
            let mut index = 0;
            while index < class.len() {
                if index + 2 < class.len() && class[index + 1] == '-' {
                    matched |= class[index] <= c && c <= class[index + 2];
                    index += 3;
                } else {
                    matched |= class[index] == c;
                    index += 1;
                }
            }
            matched != negate && glob(after, text_rest)
        }
        '\\' if !rest.is_empty() => !text.is_empty() && text[0] == rest[0] && glob(&rest[1..], &text[1..]),
        c => !text.is_empty() && text[0] == c && glob(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_alternates_literals_and_parts() {
        assert_eq!(fill(&["n:", ""], &["7".to_owned()]), "n:7");
        assert_eq!(
            fill(&["add:", ":", ""], &["1".to_owned(), "2".to_owned()]),
            "add:1:2"
        );
    }

    #[test]
    fn glob_matches_as_redis_does() {
        assert!(glob_match("add:1:*", "add:1:2"));
        assert!(!glob_match("add:1:*", "add:12:2"));
        assert!(glob_match("n:?", "n:x") && glob_match("n:[a-c]", "n:b") && !glob_match("n:[^a-c]", "n:b"));
        assert!(glob_match(r"n:\*", "n:*") && !glob_match(r"n:\*", "n:x"));
    }
}
