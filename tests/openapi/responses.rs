//! Responses: packed by each endpoint's packer, every error the helpers raise an
//! example with its code, semantic statuses in every language, and in semantic mode
//! every status an operation answers documented.

use super::*;

#[test]
fn responses_are_packed_by_the_endpoints_packer() {
    let simple = demo("demo-simple", |_| {});
    let ping = &simple["paths"]["/ping"]["get"];
    assert_eq!(
        ping["responses"]["200"]["content"]["application/json"]["schema"]["allOf"][0],
        json!({"$ref": "#/components/schemas/SimpleEnvelope"})
    );
    assert_eq!(
        simple["components"]["schemas"]["SimpleEnvelope"]["required"],
        json!(["success"])
    );
    assert_eq!(
        examples(ping, "200")[0],
        json!({"success": true, "result": "pong"})
    );
    let echo = examples(&simple["paths"]["/echo"]["post"], "200");
    assert_eq!(echo[0], json!({"success": true, "result": "测试的字符串"}));
    // An ERROR block is packed with pack_error.
    let boom = examples(&simple["paths"]["/boom"]["get"], "200");
    assert_eq!(
        boom[0],
        json!({"success": false, "error": {"code": SYS_ERROR, "message": "System Error"}})
    );

    let deetr = demo("demo-deetr", |s| s.packer = "deetr".into());
    let ping = examples(&deetr["paths"]["/ping"]["get"], "200");
    assert_eq!(
        (&ping[0]["data"], &ping[0]["errcode"], &ping[0]["errmsg"]),
        (&json!("pong"), &json!(0), &json!("OK"))
    );
    assert_eq!(ping[0]["reqid"].as_str().unwrap().len(), 32);
    assert_eq!(
        ping[0]["time"].as_str().unwrap().len(),
        "2026-11-22 14:03:09".len()
    );
    let secure = examples(&deetr["paths"]["/secure"]["get"], "200");
    assert!(secure
        .iter()
        .any(|e| e["errcode"] == APP_AUTH_FAILED && e["data"].is_null()));
    assert!(deetr["components"]["schemas"]["DeetrEnvelope"].is_object());

    let dmrs = demo("demo-dmrs", |s| s.packer = "dmrs".into());
    let ping = examples(&dmrs["paths"]["/ping"]["get"], "200");
    assert_eq!(
        ping[0],
        json!({"data": "pong", "message": "OK", "returnCode": 0, "successSign": true})
    );
    let add = examples(&dmrs["paths"]["/add"]["get"], "200");
    assert!(add.contains(&json!({"data": null, "message": "Bad parameter: a.", "returnCode": BAD_PARAMETER, "successSign": false})));
}

#[test]
fn every_error_the_helpers_raise_is_an_example_with_its_code() {
    // What any operation taking a body can answer: a malformed JSON or form body, a
    // body over the limit (the form and the limit found by scripts/fuzz-http.sh).
    const BODY_ERRORS: [i64; 3] = [PARSE_JSON_ERROR, BAD_PARAMETER, TOO_LARGE_REQUEST_ERROR];
    let document = demo("demo-errors", |_| {});
    let paths = &document["paths"];
    // BadParameter too: the API version the demo reads from `Accept-Version` (DESIGN §16).
    let always = [BAD_PARAMETER, NOT_SUPPORTED_HTTP_METHOD, SYS_ERROR];
    let with = |codes: &[i64]| codes.iter().chain(&always).copied().collect::<BTreeSet<_>>();
    assert_eq!(error_codes(&paths["/ping"]["get"], "200"), with(&[]));
    assert_eq!(
        error_codes(&paths["/echo"]["post"], "200"),
        with(&[
            MISSING_PARAMETER,
            BAD_PARAMETER_TYPE,
            STRING_TOO_SHORT,
            STRING_TOO_LONG,
            BODY_ERRORS[0],
            BODY_ERRORS[1],
            BODY_ERRORS[2],
        ])
    );
    // A GET reads fields from a body too: its body errors are answered as well.
    assert_eq!(
        error_codes(&paths["/add"]["get"], "200"),
        with(&[
            MISSING_PARAMETER,
            BAD_PARAMETER_TYPE,
            BAD_PARAMETER,
            PARSE_JSON_ERROR,
            TOO_LARGE_REQUEST_ERROR
        ])
    );
    assert_eq!(
        error_codes(&paths["/pick"]["get"], "200"),
        // A string parameter too: `?op=a&op=b` or `{"op": {}}` is not a string
        // (found by scripts/fuzz-http.sh).
        with(&[
            MISSING_PARAMETER,
            BAD_PARAMETER_TYPE,
            BAD_PARAMETER,
            PARSE_JSON_ERROR,
            TOO_LARGE_REQUEST_ERROR
        ])
    );
    assert_eq!(
        error_codes(&paths["/secure"]["get"], "200"),
        with(&[
            MISSING_PARAMETER,
            APP_AUTH_FAILED,
            BODY_ERRORS[0],
            BODY_ERRORS[1],
            BODY_ERRORS[2]
        ])
    );
    assert_eq!(
        error_codes(&paths["/note_set"]["post"], "200"),
        with(&[
            MISSING_PARAMETER,
            BAD_PARAMETER_TYPE,
            STRING_TOO_LONG,
            BODY_ERRORS[0],
            BODY_ERRORS[1],
            BODY_ERRORS[2],
        ])
    );
    // The documented SysError is not repeated (the other: BadParameter(version)).
    assert_eq!(examples(&paths["/boom"]["get"], "200").len(), 3);
    let echo = &paths["/echo"]["post"]["responses"]["200"]["content"]["application/json"]["examples"];
    assert_eq!(
        echo["StringTooShort (msg)"],
        json!({"summary": "StringTooShort 1001060004: String shorter than 2.",
               "value": {"success": false, "error": {"code": STRING_TOO_SHORT, "message": "String shorter than 2."}}})
    );
    assert_eq!(
        echo["MissingParameter (msg)"]["value"]["error"]["message"],
        "Missing parameter: msg."
    );
}

#[test]
fn semantic_statuses_and_languages() {
    let document = demo("demo-semantic", |s| {
        s.http_status = HttpStatusMode::Semantic;
        s.language = Language::ZhHans;
    });
    let echo = &document["paths"]["/echo"]["post"];
    assert_eq!(
        echo["responses"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["200", "400", "405", "413", "500"]
    );
    assert_eq!(error_codes(echo, "200"), BTreeSet::new());
    assert_eq!(
        error_codes(echo, "400"),
        [
            MISSING_PARAMETER,
            BAD_PARAMETER,
            BAD_PARAMETER_TYPE,
            STRING_TOO_SHORT,
            STRING_TOO_LONG,
            PARSE_JSON_ERROR
        ]
        .into()
    );
    assert_eq!(error_codes(echo, "405"), [NOT_SUPPORTED_HTTP_METHOD].into());
    assert_eq!(error_codes(echo, "413"), [TOO_LARGE_REQUEST_ERROR].into());
    assert!(examples(echo, "400")
        .iter()
        .any(|e| e["error"]["message"] == "必要参数缺失：msg。"));
    let secure = &document["paths"]["/secure"]["get"];
    assert_eq!(error_codes(secure, "403"), [APP_AUTH_FAILED].into());
}

/// In semantic mode, every status an operation of the demo answers is one its
/// document lists (issue 12): each operation is sent what a careless or hostile
/// client sends — nothing, text for numbers, broken and oversized bodies, wrong keys —
/// over real HTTP, and the statuses that come back are compared with its responses.
#[tokio::test]
async fn semantic_mode_documents_every_status_an_operation_answers() {
    let mut settings = demo_settings();
    settings.http_status = HttpStatusMode::Semantic;
    settings.body_limit = 64;
    let document = endpoints::app(settings.clone()).openapi();
    let server = common::serve(endpoints::app(settings)).await;
    let json = "application/json";
    let form = "application/x-www-form-urlencoded";
    let requests: [(&str, &str, &str); 8] = [
        ("", json, ""),
        ("?a=x&b=y&op=mul&n=x&name=&text=", json, ""),
        ("?aclkey=wrong", json, ""),
        ("", json, "{\"a\": "),
        (
            "",
            json,
            "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]",
        ),
        ("", json, "{\"msg\": false, \"a\": 1e999}"),
        ("", form, "msg=%FF&a=%FE"),
        ("", "multipart/form-data; boundary=x", "--x\r\nbroken"),
    ];
    let mut checked_statuses = 0;
    for (path, path_item) in document["paths"].as_object().unwrap() {
        for (method, operation) in path_item.as_object().unwrap() {
            let documented: BTreeSet<u16> = operation["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(|status| status.parse().unwrap())
                .collect();
            for (query, content_type, body) in requests {
                let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let answer = server
                    .client
                    .request(method.clone(), server.url(&format!("{path}{query}")))
                    .header("content-type", content_type)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = answer.status().as_u16();
                assert!(
                    documented.contains(&status),
                    "{method} {path}{query} with {body:?} answered {status}, documented {documented:?}: {}",
                    answer.text().await.unwrap()
                );
                checked_statuses += 1;
            }
        }
    }
    assert!(checked_statuses > 80, "{checked_statuses}");
}
