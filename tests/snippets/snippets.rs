//! One snippet at a time: created from a field or an uploaded file, validated, read,
//! replaced or changed, refused to anyone but its owner, deleted, and its highlighted
//! page.

use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{self, Part};
use crate::highlight;
use crate::site::*;

on_both_databases!(
    a_snippet_takes_the_defaults_and_reads_back_as_created,
    urls_are_absolute_and_follow_the_host,
    an_uploaded_file_is_the_code_and_its_name_the_title,
    upload_refusals,
    languages_and_styles_are_the_highlighters,
    titles_and_code_are_limited_in_length,
    put_replaces_and_patch_changes_what_it_is_sent,
    only_the_owner_writes,
    a_deleted_snippet_is_not_found,
    the_highlight_page_is_html_under_a_content_security_policy,
    an_empty_uploaded_file_is_refused_as_empty_code_is,
    the_longest_code_is_not_too_large_a_request,
);

fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

async fn a_snippet_takes_the_defaults_and_reads_back_as_created(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let before = now_millis();
    let created = site
        .create(&ann, &[("title", "hi"), ("code", "print('hi')")])
        .await;
    let after = now_millis();
    let id = created["id"].as_i64().unwrap();
    let stamp = created["created"].as_i64().unwrap();
    assert!(
        (before..=after).contains(&stamp),
        "{before} <= {stamp} <= {after}"
    );
    let base = site.base();
    assert_eq!(
        created,
        json!({
            "id": id,
            "url": format!("{base}/snippets/{id}/"),
            "highlight": format!("{base}/snippets/{id}/highlight/"),
            "owner": "ann",
            "owner_url": format!("{base}/users/{}/", ann.id),
            "title": "hi",
            "code": "print('hi')",
            "linenos": false,
            "language": "python",
            "style": "InspiredGitHub",
            "created": stamp,
        })
    );
    assert_eq!(*result(&site.get(&format!("/snippets/{id}/")).await), created);

    let all = site
        .create(
            &ann,
            &[
                ("title", "all of them"),
                ("code", "fn main() {}"),
                ("linenos", "true"),
                ("language", "rust"),
                ("style", "base16-ocean.dark"),
            ],
        )
        .await;
    assert!(all["id"].as_i64().unwrap() > id);
    assert_eq!(
        (&all["title"], &all["linenos"], &all["language"], &all["style"]),
        (
            &json!("all of them"),
            &json!(true),
            &json!("rust"),
            &json!("base16-ocean.dark")
        )
    );
    assert_eq!(*result(&site.get(&snippet_path(&all)).await), all);

    // A JSON body does as well as a form.
    let request = site
        .as_user(&ann, Method::POST, "/snippets/")
        .json(&json!({"code": "x = 2", "linenos": true}));
    let from_json = common::send(request).await;
    assert_eq!(result(&from_json)["linenos"], true);
    assert_eq!(result(&from_json)["title"], "");

    let missing = site.get(&format!("/snippets/{}/", id + 1000)).await;
    assert_eq!(missing.json, common::err(NOT_FOUND, "Not found: snippet."));
    let not_a_number = site.get("/snippets/abc/").await;
    assert_eq!(code(&not_a_number), BAD_PARAMETER_TYPE);
}

async fn urls_are_absolute_and_follow_the_host(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let created = site.create(&ann, &[("code", "x = 1")]).await;
    let path = snippet_path(&created);
    let id = created["id"].as_i64().unwrap();

    let with_host = |host: &'static str| {
        let request = site.anonymous(Method::GET, &path).header("host", host);
        common::send(request)
    };
    let answer = with_host("snippets.example:8443").await;
    let snippet = result(&answer);
    assert_eq!(
        snippet["url"],
        format!("http://snippets.example:8443/snippets/{id}/")
    );
    assert_eq!(
        snippet["highlight"],
        format!("http://snippets.example:8443/snippets/{id}/highlight/")
    );
    assert_eq!(
        snippet["owner_url"],
        format!("http://snippets.example:8443/users/{}/", ann.id)
    );
    // The links lead to the snippet, its page and its owner on this server.
    for (field, expected) in [
        ("url", path.clone()),
        ("owner_url", format!("/users/{}/", ann.id)),
    ] {
        let local = snippet[field]
            .as_str()
            .unwrap()
            .replace("http://snippets.example:8443", "");
        assert_eq!(local, expected);
        assert_eq!(site.get(&local).await.json["success"], true);
    }

    // A Host that is not a plain host[:port] is not written into links.
    let answer = with_host("evil.example/x?").await;
    assert_eq!(result(&answer)["url"], format!("/snippets/{id}/"));
    assert_eq!(result(&answer)["owner_url"], format!("/users/{}/", ann.id));

    // The list's items and the users follow the Host as well.
    let request = site
        .anonymous(Method::GET, "/snippets/?page_size=1")
        .header("host", "other.example");
    let answer = common::send(request).await;
    let page = result(&answer);
    assert_eq!(
        page["results"][0]["url"],
        format!("http://other.example/snippets/{id}/")
    );
    let request = site
        .anonymous(Method::GET, "/users/")
        .header("host", "other.example");
    let answer = common::send(request).await;
    let user = &result(&answer)["results"][0];
    assert_eq!(user["url"], format!("http://other.example/users/{}/", ann.id));
    assert_eq!(
        user["snippets"],
        format!("http://other.example/snippets/?owner={}", ann.id)
    );

    // With the document's server set, that is the base whatever the Host.
    let settings = "[swagger]\napi_host = 'https://api.example'\napi_basepath = '/v1/'";
    let behind = Site::with_settings(backend, settings).await;
    let ann = behind.register("ann").await;
    for code in ["x = 1", "x = 2"] {
        behind.create(&ann, &[("code", code)]).await;
    }
    let request = behind
        .anonymous(Method::GET, "/snippets/?page_size=1")
        .header("host", "other.example");
    let answer = common::send(request).await;
    let page = result(&answer);
    let id = page["results"][0]["id"].as_i64().unwrap();
    assert_eq!(
        page["results"][0]["url"],
        format!("https://api.example/v1/snippets/{id}/")
    );
    assert_eq!(
        page["results"][0]["owner_url"],
        format!("https://api.example/v1/users/{}/", ann.id)
    );
    assert_eq!(
        page["next"],
        "https://api.example/v1/snippets/?page=2&page_size=1"
    );
}

async fn an_uploaded_file_is_the_code_and_its_name_the_title(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let code = "fn main() {\n    println!(\"héllo\");\n}\n";
    let answer = site
        .upload(
            &ann,
            &[
                Part::File("file", "main.rs", code.as_bytes()),
                Part::Text("language", "rust"),
                Part::Text("linenos", "true"),
            ],
        )
        .await;
    let snippet = result(&answer);
    assert_eq!(snippet["title"], "main.rs");
    assert_eq!(snippet["code"], code);
    assert_eq!(
        (&snippet["language"], &snippet["linenos"]),
        (&json!("rust"), &json!(true))
    );
    assert_eq!(*result(&site.get(&snippet_path(snippet)).await), *snippet);

    // A title sent beside the file wins.
    let answer = site
        .upload(
            &ann,
            &[
                Part::Text("title", "mine"),
                Part::File("file", "a.py", b"x = 1\n"),
            ],
        )
        .await;
    assert_eq!(
        (&result(&answer)["title"], &result(&answer)["code"]),
        (&json!("mine"), &json!("x = 1\n"))
    );

    // A file name longer than a title may be is cut to 100 characters.
    let long_name = format!("{}.py", "é".repeat(120));
    let answer = site
        .upload(&ann, &[Part::File("file", &long_name, b"y = 2\n")])
        .await;
    assert_eq!(result(&answer)["title"], "é".repeat(100));

    // The file's text as it is, a file of exactly the longest code included.
    let longest = "a".repeat(100_000);
    let answer = site
        .upload(
            &ann,
            &[
                Part::File("file", "big.txt", longest.as_bytes()),
                Part::Text("language", "plain text"),
            ],
        )
        .await;
    assert_eq!(result(&answer)["code"].as_str().map(str::len), Some(100_000));
}

async fn upload_refusals(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let not_utf8 = site
        .upload(&ann, &[Part::File("file", "latin1.txt", b"caf\xe9\n")])
        .await;
    assert_eq!(
        not_utf8.json,
        common::err(BAD_PARAMETER, "Bad parameter: file. send UTF-8 text.")
    );
    let both = site
        .upload(
            &ann,
            &[Part::Text("code", "x = 1"), Part::File("file", "a.py", b"x = 2")],
        )
        .await;
    assert_eq!(
        both.json,
        common::err(
            BAD_PARAMETER,
            "Bad parameter: file. send the code as `code` or as a file, not both."
        )
    );
    let neither = site.upload(&ann, &[Part::Text("title", "nothing")]).await;
    assert_eq!(
        neither.json,
        common::err(MISSING_PARAMETER, "Missing parameter: code.")
    );
    let form_without_code = site
        .send_form(Some(&ann), Method::POST, "/snippets/", &[("title", "nothing")])
        .await;
    assert_eq!(code(&form_without_code), MISSING_PARAMETER);
    // Characters, not bytes: 100 000 two-byte characters are fine, one more is not.
    let too_long = "é".repeat(100_001);
    let answer = site
        .upload(&ann, &[Part::File("file", "big.txt", too_long.as_bytes())])
        .await;
    assert_eq!(
        answer.json,
        common::err(
            BAD_PARAMETER,
            "Bad parameter: file. the code is at most 100000 characters."
        )
    );

    let list = site.get("/snippets/").await;
    assert_eq!(result(&list)["count"], 0, "nothing refused was stored");
}

async fn languages_and_styles_are_the_highlighters(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let languages = highlight::languages();
    let styles = highlight::styles();
    assert!(
        languages.len() > 20 && styles.len() > 3,
        "{languages:?} {styles:?}"
    );
    // The first and last of each list, and names with spaces and signs.
    let picks = [
        (languages[0].as_str(), styles[0].as_str()),
        (
            languages[languages.len() - 1].as_str(),
            styles[styles.len() - 1].as_str(),
        ),
        ("plain text", "Solarized (dark)"),
        ("c++", "base16-ocean.dark"),
    ];
    for (language, style) in picks {
        let snippet = site
            .create(
                &ann,
                &[("code", "a + b"), ("language", language), ("style", style)],
            )
            .await;
        assert_eq!(
            (snippet["language"].as_str(), snippet["style"].as_str()),
            (Some(language), Some(style))
        );
    }
    let every_style = styles.iter().map(String::as_str);
    let snippet = site.create(&ann, &[("code", "x")]).await;
    for style in every_style {
        let answer = site
            .send_form(
                Some(&ann),
                Method::PATCH,
                &snippet_path(&snippet),
                &[("style", style)],
            )
            .await;
        assert_eq!(result(&answer)["style"], style);
    }

    for (field, value) in [
        ("language", "Python"),
        ("language", "cobol-ish"),
        ("style", "inspiredgithub"),
        ("style", "nope"),
    ] {
        let refused = site
            .send_form(
                Some(&ann),
                Method::POST,
                "/snippets/",
                &[("code", "x"), (field, value)],
            )
            .await;
        assert_eq!(code(&refused), BAD_PARAMETER, "{field}={value}");
        let message = message(&refused);
        assert!(
            message.starts_with(&format!(
                "Bad parameter: {field}. Value {value:?} is not one of ["
            )),
            "{message}"
        );
        let patched = site
            .send_form(
                Some(&ann),
                Method::PATCH,
                &snippet_path(&snippet),
                &[(field, value)],
            )
            .await;
        assert_eq!(code(&patched), BAD_PARAMETER, "PATCH {field}={value}");
    }
    let count = result(&site.get("/snippets/").await)["count"].clone();
    assert_eq!(count, picks.len() + 1);
}

async fn titles_and_code_are_limited_in_length(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let title = "é".repeat(100);
    let created = site.create(&ann, &[("title", &title), ("code", "x")]).await;
    assert_eq!(created["title"], title);
    let path = snippet_path(&created);

    let long_title = "t".repeat(101);
    let empty_code = "";
    let long_code = "c".repeat(100_001);
    for (method, path) in [
        (Method::POST, "/snippets/"),
        (Method::PUT, path.as_str()),
        (Method::PATCH, path.as_str()),
    ] {
        let answer = site
            .send_form(
                Some(&ann),
                method.clone(),
                path,
                &[("title", &long_title), ("code", "x")],
            )
            .await;
        assert_eq!(
            answer.json,
            common::err(STRING_TOO_LONG, "String longer than 100."),
            "{method}"
        );
        let answer = site
            .send_form(Some(&ann), method.clone(), path, &[("code", empty_code)])
            .await;
        assert_eq!(
            answer.json,
            common::err(STRING_TOO_SHORT, "String shorter than 1."),
            "{method}"
        );
        let answer = site
            .send_form(Some(&ann), method.clone(), path, &[("code", &long_code)])
            .await;
        assert_eq!(
            answer.json,
            common::err(STRING_TOO_LONG, "String longer than 100000."),
            "{method}"
        );
    }
    let longest = "c".repeat(100_000);
    let answer = site
        .send_form(
            Some(&ann),
            Method::PATCH,
            &path,
            &[("code", &longest), ("language", "plain text")],
        )
        .await;
    assert_eq!(result(&answer)["code"].as_str().map(str::len), Some(100_000));
    let unchanged = site.get(&path).await;
    assert_eq!(result(&unchanged)["title"], title);
    assert_eq!(result(&site.get("/snippets/").await)["count"], 1);
}

async fn put_replaces_and_patch_changes_what_it_is_sent(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let created = site
        .create(
            &ann,
            &[
                ("title", "first"),
                ("code", "fn a() {}"),
                ("linenos", "true"),
                ("language", "rust"),
                ("style", "base16-ocean.dark"),
            ],
        )
        .await;
    let path = snippet_path(&created);
    let page_before = site.get_v2(&path).await;
    let page_before = result(&page_before)["highlighted"].as_str().unwrap().to_owned();

    let patched = site
        .send_form(Some(&ann), Method::PATCH, &path, &[("title", "second")])
        .await;
    let patched = result(&patched).clone();
    let mut expected = created.clone();
    expected["title"] = json!("second");
    assert_eq!(patched, expected, "PATCH changes the title only");

    let patched = site
        .send_form(
            Some(&ann),
            Method::PATCH,
            &path,
            &[("linenos", "false"), ("code", "fn b() {}")],
        )
        .await;
    let patched = result(&patched).clone();
    expected["linenos"] = json!(false);
    expected["code"] = json!("fn b() {}");
    assert_eq!(patched, expected);
    // The page is made again from what was saved.
    let page = site.get_v2(&path).await;
    let page = result(&page)["highlighted"].as_str().unwrap().to_owned();
    assert_ne!(page, page_before);
    assert!(
        page.contains("<title>second</title>") && !page.contains("user-select:none"),
        "{page}"
    );

    let replaced = site
        .send_form(Some(&ann), Method::PUT, &path, &[("code", "print(1)")])
        .await;
    let replaced = result(&replaced).clone();
    let mut expected = created.clone();
    for (field, value) in [
        ("title", json!("")),
        ("code", json!("print(1)")),
        ("linenos", json!(false)),
        ("language", json!("python")),
        ("style", json!("InspiredGitHub")),
    ] {
        expected[field] = value;
    }
    assert_eq!(
        replaced, expected,
        "PUT takes the defaults for what it is not sent"
    );
    assert_eq!(*result(&site.get(&path).await), replaced);

    let without_code = site
        .send_form(Some(&ann), Method::PUT, &path, &[("title", "no code")])
        .await;
    assert_eq!(
        without_code.json,
        common::err(MISSING_PARAMETER, "Missing parameter: code.")
    );
    // An empty PATCH saves what there was.
    let nothing = site.send_form(Some(&ann), Method::PATCH, &path, &[]).await;
    assert_eq!(*result(&nothing), replaced);
}

async fn only_the_owner_writes(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let bob = site.register("bob").await;
    let anns = site.create(&ann, &[("title", "ann's"), ("code", "a = 1")]).await;
    let bobs = site.create(&bob, &[("title", "bob's"), ("code", "b = 1")]).await;
    let no_permission = common::err(NO_PERMISSION, "No permission error.");

    for (user, other) in [(&bob, &anns), (&ann, &bobs)] {
        let path = snippet_path(other);
        let put = site
            .send_form(Some(user), Method::PUT, &path, &[("code", "stolen")])
            .await;
        assert_eq!(put.json, no_permission);
        let patch = site
            .send_form(Some(user), Method::PATCH, &path, &[("title", "stolen")])
            .await;
        assert_eq!(patch.json, no_permission);
        let delete = site.send_form(Some(user), Method::DELETE, &path, &[]).await;
        assert_eq!(delete.json, no_permission);
        // The refusal comes before validation: a bad value is no way to learn more.
        let invalid = site
            .send_form(Some(user), Method::PATCH, &path, &[("language", "nope")])
            .await;
        assert_eq!(invalid.json, no_permission);
        assert_eq!(*result(&site.get(&path).await), *other, "unchanged");
    }
    // Each still writes their own.
    let path = snippet_path(&anns);
    let patch = site
        .send_form(Some(&ann), Method::PATCH, &path, &[("title", "still ann's")])
        .await;
    assert_eq!(result(&patch)["title"], "still ann's");
    assert_eq!(result(&patch)["owner"], "ann");

    // A snippet that does not exist is NotFound, whoever asks.
    let missing = format!("/snippets/{}/", bobs["id"].as_i64().unwrap() + 100);
    for user in [&ann, &bob] {
        let answer = site
            .send_form(Some(user), Method::PATCH, &missing, &[("title", "x")])
            .await;
        assert_eq!(answer.json, common::err(NOT_FOUND, "Not found: snippet."));
    }
    assert_eq!(result(&site.get("/snippets/").await)["count"], 2);
}

async fn a_deleted_snippet_is_not_found(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let kept = site.create(&ann, &[("code", "kept")]).await;
    let gone = site.create(&ann, &[("code", "gone")]).await;
    let path = snippet_path(&gone);

    let deleted = site.send_form(Some(&ann), Method::DELETE, &path, &[]).await;
    assert_eq!(deleted.json, common::ok(Value::Null));

    let not_found = common::err(NOT_FOUND, "Not found: snippet.");
    assert_eq!(site.get(&path).await.json, not_found);
    assert_eq!(site.get(&format!("{path}highlight/")).await.json, not_found);
    for method in [Method::DELETE, Method::PATCH, Method::PUT] {
        let answer = site
            .send_form(Some(&ann), method.clone(), &path, &[("code", "back")])
            .await;
        assert_eq!(answer.json, not_found, "{method}");
    }
    let list = site.get("/snippets/").await;
    assert_eq!(ids_of(result(&list)), [kept["id"].as_i64().unwrap()]);
    assert_eq!(result(&list)["count"], 1);
    // An id is not reused.
    let next = site.create(&ann, &[("code", "new")]).await;
    assert!(next["id"].as_i64() > gone["id"].as_i64());
}

async fn the_highlight_page_is_html_under_a_content_security_policy(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let snippet = site
        .create(
            &ann,
            &[
                ("title", "<script>alert(1)</script>"),
                ("code", "if a < b:\n    print('<b>')\n"),
                ("linenos", "true"),
            ],
        )
        .await;
    let url = snippet["highlight"].as_str().unwrap();
    let response = site.server.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; style-src 'unsafe-inline'"
    );
    let page = response.text().await.unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(
        page.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>"),
        "{page}"
    );
    assert!(!page.contains("<script>") && !page.contains("<b>"), "{page}");
    assert!(page.contains("&lt;b&gt;"), "{page}");
    assert!(
        page.contains("user-select:none;\">1 </span>"),
        "line numbers: {page}"
    );
    // The page is the one v2 answers.
    let v2 = site.get_v2(&snippet_path(&snippet)).await;
    assert_eq!(result(&v2)["highlighted"], page);

    let missing = format!(
        "{}/snippets/{}/highlight/",
        site.base(),
        snippet["id"].as_i64().unwrap() + 1
    );
    let answer = common::send(site.server.client.get(missing)).await;
    assert_eq!(answer.json, common::err(NOT_FOUND, "Not found: snippet."));
    assert!(answer.headers.get("content-security-policy").is_none());
}

/// Regression: `code` is 1 to 100 000 characters, but a file was held to the upper
/// bound only, and an empty one made a snippet without code.
async fn an_empty_uploaded_file_is_refused_as_empty_code_is(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let empty = site.upload(&ann, &[Part::File("file", "empty.py", b"")]).await;
    assert_eq!(
        empty.json,
        common::err(BAD_PARAMETER, "Bad parameter: file. the file is empty.")
    );
    let one = site.upload(&ann, &[Part::File("file", "one.py", b"1")]).await;
    assert_eq!(result(&one)["code"], "1");
    assert_eq!(result(&site.get("/snippets/").await)["count"], 1);
}

/// Regression: creating took bodies of 1 MiB at most, but the longest code, 100 000
/// characters of four UTF-8 bytes, is 1.2 MB in a form (each byte percent-encoded)
/// and in JSON written ASCII-only (each character a `\uXXXX\uXXXX` pair, as
/// Python's `json.dumps` writes by default): a valid snippet was `TooLargeRequestError`
/// to create, though PATCH took it.
async fn the_longest_code_is_not_too_large_a_request(backend: Backend) {
    let site = Site::start(backend).await;
    let ann = site.register("ann").await;
    let longest = "😀".repeat(100_000);
    let fields = [
        ("title", "😀".repeat(100)),
        ("code", longest.clone()),
        ("language", "plain text".into()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let from_form = site.create(&ann, &fields).await;
    assert_eq!(from_form["code"], longest);

    let ascii_json: String = serde_json::to_string(&json!({"code": longest, "language": "plain text"}))
        .unwrap()
        .chars()
        .map(|c| match c {
            '😀' => "\\ud83d\\ude00".to_owned(),
            c => c.to_string(),
        })
        .collect();
    assert!(ascii_json.is_ascii() && ascii_json.len() > 1_200_000);
    let request = site
        .as_user(&ann, Method::POST, "/snippets/")
        .header("content-type", "application/json")
        .body(ascii_json);
    let from_json = common::send(request).await;
    assert_eq!(result(&from_json)["code"], longest);
    // One character more is refused for its length, not its size.
    let too_long = format!("{longest}😀");
    let answer = site
        .send_form(Some(&ann), Method::POST, "/snippets/", &[("code", &too_long)])
        .await;
    assert_eq!(code(&answer), STRING_TOO_LONG);
}
