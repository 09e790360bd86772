//! Bad doc comments: the document stays valid.

use super::*;

#[test]
fn bad_doc_comments_still_give_a_valid_document() {
    for (name, extra) in [
        ("bad-docs-3.1", ""),
        ("bad-docs-3.0", "[swagger]\nopenapi_version = '3.0'"),
    ] {
        let document = checked(name, bad_docs_app(extra).openapi());
        let paths = &document["paths"];
        let no_separator = &paths["/no_separator"]["get"];
        assert_eq!(no_separator["summary"], "Only a summary, no separator.");
        assert_eq!(
            no_separator["description"],
            "And a description line; @parameter: not {{{ a block here }}}"
        );
        assert!(no_separator.get("parameters").is_none());

        let crlf = &paths["/crlf"]["get"];
        assert_eq!(
            (&crlf["summary"], &crlf["description"]),
            (&json!("Windows line endings."), &json!("The description."))
        );
        assert_eq!(
            param(crlf, "n")["schema"],
            json!({"type": "integer", "format": "int64"})
        );
        assert_eq!(examples(crlf, "200")[0], json!({"success": true, "result": 1}));

        let tabs = &paths["/tabs"]["get"];
        assert_eq!(tabs["summary"], "Tabs everywhere.");
        assert_eq!(param(tabs, "t")["description"], "tab\tinside");
        assert_eq!(
            examples(tabs, "200")[0],
            json!({"success": true, "result": {"t": "x"}})
        );

        let chinese = &paths["/chinese"]["get"];
        assert_eq!(chinese["summary"], "中文摘要：返回问候语。");
        assert_eq!(chinese["description"], "详细说明：名字不能超过十个字符。");
        assert_eq!(
            param(chinese, "名字"),
            &json!({"name": "名字", "in": "query", "description": "用户的名字", "required": false, "example": "张三", "schema": {}})
        );
        let values = examples(chinese, "200");
        assert_eq!(values[0], json!({"success": true, "result": "你好，张三"}));
        assert_eq!(
            values[1]["error"],
            json!({"code": STRING_TOO_LONG, "message": "参数字符数过多，最高限定为：10。"})
        );

        let braces = &paths["/braces"]["get"];
        assert_eq!(param(braces, "q")["description"], "write {{{ and }}} freely");
        assert_eq!(param(braces, "q")["example"], "{{{");
        assert_eq!(examples(braces, "200")[0]["result"], "{{{ not a block }}}");
        assert_eq!(
            braces["responses"]["200"]["description"],
            "braces {{{, or an error packed the same way (see the examples)"
        );

        let empty = &paths["/empty"]["post"];
        assert_eq!(
            examples(empty, "200")[0],
            json!({"success": true, "result": null})
        );
        assert_eq!(empty["responses"]["404"]["description"], "Not Found");
        assert!(empty.get("requestBody").is_none());

        let blank = &paths["/blank_doc"]["get"];
        assert!(blank.get("summary").is_none() && blank.get("description").is_none());
    }
}
