//! `#[string_length_limit]`: characters, not bytes, and custom messages.

use super::*;

#[tokio::test]
async fn string_length_counts_characters_not_bytes() {
    let server = server().await;
    for name in ["张三", "ab", "abcde", "张三李四王", "😀😀"] {
        assert_eq!(
            post_json(&server, "/length_limit", json!({"name": name})).await,
            ok(json!(name)),
            "{name}"
        );
    }
    for name in ["张", "a", "😀"] {
        assert_eq!(
            post_json(&server, "/length_limit", json!({"name": name})).await,
            err(common::STRING_TOO_SHORT, "String shorter than 2."),
            "{name}"
        );
    }
    for name in ["张三李四王五", "abcdef"] {
        assert_eq!(
            post_json(&server, "/length_limit", json!({"name": name})).await,
            err(common::STRING_TOO_LONG, "String longer than 5."),
            "{name}"
        );
    }
}

#[tokio::test]
async fn string_length_uses_custom_messages() {
    let server = server().await;
    assert_eq!(
        get(&server, "/length_messages?nick=ab").await,
        err(common::STRING_TOO_SHORT, "Nickname too short!")
    );
    assert_eq!(
        get(&server, "/length_messages?nick=abcde").await,
        err(common::STRING_TOO_LONG, "Nickname too long!")
    );
    assert_eq!(get(&server, "/length_messages?nick=abc").await, ok(json!("abc")));
}
