//! Syntax highlighting with syntect: the languages and styles a snippet may name, and
//! the HTML page made of a snippet.
//!
//! syntect's bundled syntaxes and themes are decoded once, on first use (about 2 ms);
//! a syntax's regular expressions are compiled the first time it highlights (tens of
//! milliseconds more for that call). Call [`languages`] at start-up to pay the first.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

use syntect::easy::HighlightLines;
use syntect::highlighting::{Color, Theme, ThemeSet};
use syntect::html::{
    append_highlighted_html_for_styled_line, start_highlighted_html_snippet, IncludeBackground,
};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

/// The language of a snippet that names none (the Django REST framework tutorial's).
pub const DEFAULT_LANGUAGE: &str = "python";

/// The style of a snippet that names none: a light theme of syntect's defaults.
pub const DEFAULT_STYLE: &str = "InspiredGitHub";

/// syntect's syntaxes, compiled for lines that keep their `\n` (what
/// [`HighlightLines`] expects of [`LinesWithEndings`]).
static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// syntect's themes, by name.
static THEMES: LazyLock<ThemeSet> = LazyLock::new(ThemeSet::load_defaults);

/// Each language token, lower-cased syntax name, and the index of its syntax in
/// [`SYNTAXES`]. Two syntaxes of one lower-cased name would keep the first.
static LANGUAGES: LazyLock<BTreeMap<String, usize>> = LazyLock::new(|| {
    let mut languages = BTreeMap::new();
    for (index, syntax) in SYNTAXES.syntaxes().iter().enumerate() {
        languages.entry(syntax.name.to_lowercase()).or_insert(index);
    }
    languages
});

static LANGUAGE_LIST: LazyLock<Vec<String>> = LazyLock::new(|| LANGUAGES.keys().cloned().collect());

static STYLE_LIST: LazyLock<Vec<String>> = LazyLock::new(|| THEMES.themes.keys().cloned().collect());

/// The languages a snippet may name, sorted: syntect's syntax names, lower-cased
/// (`"python"`, `"rust"`, `"plain text"`, `"c++"`, ...).
pub fn languages() -> &'static [String] {
    &LANGUAGE_LIST
}

/// The styles a snippet may name, sorted: the names of syntect's default themes
/// (`"InspiredGitHub"`, `"Solarized (dark)"`, `"base16-ocean.dark"`, ...).
pub fn styles() -> &'static [String] {
    &STYLE_LIST
}

/// A complete HTML page titled `title` showing `code` highlighted as `language` in
/// `style`, with line numbers when `linenos`.
///
/// An unknown language is highlighted as plain text and an unknown style is
/// [`DEFAULT_STYLE`]: check them against [`languages`] and [`styles`] first to refuse
/// them. Should syntect fail on the code (its regex engine has a backtracking limit),
/// the page shows the code unhighlighted and unnumbered.
///
/// This is CPU work proportional to the code's length: about 35 ms for 10 kB of Python
/// in a release build, 70 ms in a debug one. Run it off the async workers
/// (`tokio::task::spawn_blocking`).
pub fn highlight(code: &str, language: &str, style: &str, linenos: bool, title: &str) -> String {
    let syntax = match LANGUAGES.get(language) {
        Some(&index) => &SYNTAXES.syntaxes()[index],
        None => SYNTAXES.find_syntax_plain_text(),
    };
    let theme = THEMES
        .themes
        .get(style)
        .unwrap_or_else(|| &THEMES.themes[DEFAULT_STYLE]);
    let body = highlighted_pre(code, syntax, theme, linenos)
        .unwrap_or_else(|_| format!("<pre>\n{}</pre>\n", escape(code)));
    let title = escape(title);
    format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n</head>\n\
         <body>\n<h2>{title}</h2>\n{body}</body>\n</html>\n"
    )
}

/// `<pre>` and the highlighted lines, each after its number when `linenos`.
fn highlighted_pre(
    code: &str,
    syntax: &SyntaxReference,
    theme: &Theme,
    linenos: bool,
) -> Result<String, syntect::Error> {
    let mut highlighter = HighlightLines::new(syntax, theme);
    let (mut html, background) = start_highlighted_html_snippet(theme);
    let lines = LinesWithEndings::from(code);
    let width = code.lines().count().max(1).to_string().len();
    let gutter = theme
        .settings
        .gutter_foreground
        .or(theme.settings.foreground)
        .unwrap_or(Color::BLACK);
    for (number, line) in lines.enumerate() {
        if linenos {
            // Unselectable, so that copying the code does not copy the numbers.
            write!(
                html,
                "<span style=\"color:#{:02x}{:02x}{:02x};user-select:none;\">{:>width$} </span>",
                gutter.r,
                gutter.g,
                gutter.b,
                number + 1,
            )?;
        }
        let regions = highlighter.highlight_line(line, &SYNTAXES)?;
        append_highlighted_html_for_styled_line(
            &regions,
            IncludeBackground::IfDifferent(background),
            &mut html,
        )?;
    }
    html.push_str("</pre>\n");
    Ok(html)
}

/// `text` safe inside an HTML element or a quoted attribute.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_listed() {
        assert!(languages().iter().any(|l| l == DEFAULT_LANGUAGE));
        assert!(languages().iter().any(|l| l == "rust"));
        assert!(languages().iter().any(|l| l == "plain text"));
        assert!(styles().iter().any(|s| s == DEFAULT_STYLE));
    }

    #[test]
    fn the_lists_are_sorted_and_distinct() {
        for list in [languages(), styles()] {
            assert!(list.windows(2).all(|pair| pair[0] < pair[1]), "{list:?}");
        }
        assert!(languages().iter().all(|l| *l == l.to_lowercase()));
    }

    #[test]
    fn a_page_escapes_its_title_and_code() {
        let page = highlight(
            "print('<b>')\n",
            "python",
            DEFAULT_STYLE,
            false,
            "a <script> & \"b\"",
        );
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<title>a &lt;script&gt; &amp; &quot;b&quot;</title>"));
        assert!(!page.contains("<b>"), "{page}");
        assert!(page.contains("&lt;b&gt;"), "{page}");
        assert!(page.contains("<span style=\"color:"), "{page}");
        assert!(page.trim_end().ends_with("</html>"));
    }

    #[test]
    fn linenos_number_every_line() {
        let code = (1..=12).map(|i| format!("x = {i}\n")).collect::<String>();
        let page = highlight(&code, "python", DEFAULT_STYLE, true, "t");
        assert!(page.contains("user-select:none;\"> 1 </span>"), "{page}");
        assert!(page.contains("user-select:none;\">12 </span>"), "{page}");
        assert!(!page.contains("\">13 </span>"));
        let page = highlight(&code, "python", DEFAULT_STYLE, false, "t");
        assert!(!page.contains("user-select"));
    }

    #[test]
    fn unknown_names_fall_back() {
        let page = highlight("fn main() {}", "no such language", "no such style", false, "t");
        assert!(page.contains("fn main() {}"), "{page}");
    }

    #[test]
    #[ignore = "writes a page to look at: cargo test --example snippets -- --ignored --nocapture"]
    fn write_a_sample_page() {
        let code = include_str!("models.rs");
        let page = highlight(code, "rust", "base16-ocean.dark", true, "models.rs <sample>");
        let path = std::env::temp_dir().join("snippets-highlight-sample.html");
        std::fs::write(&path, page).unwrap();
        println!("{}", path.display());
    }

    #[test]
    fn each_style_renders() {
        for style in styles() {
            let page = highlight("def f():\n    return 1\n", "python", style, true, style);
            assert!(page.contains("<pre style=\"background-color:#"), "{style}");
        }
    }
}
