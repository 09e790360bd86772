"""apiview's own check: what the generic OpenAPI checks cannot know."""
import json
import os

import schemathesis

SYS_ERROR = 1001000000
SYS_ERROR_PATHS = set(filter(None, os.environ.get("FUZZ_HTTP_SYS_ERROR_PATHS", "").split(",")))


def documented_codes(case):
    codes = set()
    for response in (case.operation.definition.raw.get("responses") or {}).values():
        for media in (response.get("content") or {}).values():
            values = [example.get("value") for example in (media.get("examples") or {}).values()]
            values.append(media.get("example"))
            for value in values:
                if isinstance(value, dict) and isinstance(value.get("error"), dict):
                    codes.add(value["error"].get("code"))
    return codes


def raw_media_types(case, status):
    response = (case.operation.definition.raw.get("responses") or {}).get(str(status)) or {}
    return set(response.get("content") or {})


@schemathesis.check
def apiview_envelope(ctx, response, case):
    """Exactly the simple envelope, a documented error code, no unexpected SysError."""
    if response.status_code >= 500:
        return None  # not_a_server_error's concern
    media_type = (response.headers.get("content-type", [""])[0] or "").split(";")[0].strip()
    if media_type != "application/json" and media_type in raw_media_types(case, response.status_code):
        return None  # a `Raw` answer of the documented type (`#[apiview(content_type)]`)
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"the body is not JSON: {response.content[:200]!r}")
    if not isinstance(body, dict) or "success" not in body:
        raise AssertionError(f"not the simple packer's envelope (run the demo with packer = simple): {body!r}")
    if not response.headers.get("x-request-id", [""])[0]:
        raise AssertionError("no X-Request-Id header")
    if body["success"] is True:
        if set(body) != {"success", "result"}:
            raise AssertionError(f"a success envelope has exactly `success` and `result`: {body!r}")
        return None
    if set(body) != {"success", "error"} or body["success"] is not False:
        raise AssertionError(f"an error envelope has exactly `success: false` and `error`: {body!r}")
    error = body["error"]
    if not (isinstance(error, dict) and set(error) == {"code", "message"} and isinstance(error["code"], int)
            and isinstance(error["message"], str) and error["message"]):
        raise AssertionError(f"`error` is {{code: integer, message: text}}: {error!r}")
    if error["code"] == SYS_ERROR and case.operation.path not in SYS_ERROR_PATHS:
        raise AssertionError(f"SysError (a panic or an internal failure; see the demo's log): {body!r}")
    codes = documented_codes(case)
    if error["code"] not in codes:
        raise AssertionError(f"error code {error['code']} is not among the operation's documented ones "
                             f"{sorted(codes)}: {body!r}")
    return None
