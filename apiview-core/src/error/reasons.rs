//! The reasons the toolkit gives in `BadParameter` messages.

use super::Words;

pub(crate) const BODY_UNREADABLE: Words =
    Words::fixed("the request body could not be read", "请求体读取失败");
pub(crate) const BODY_TIMEOUT: Words = Words::fixed(
    "the request body did not arrive within limits.body_timeout_ms",
    "请求体未在 limits.body_timeout_ms 规定的时间内送达",
);
pub(crate) const FORM_NOT_UTF8: Words = Words::fixed(
    "the form body is not valid UTF-8",
    "表单请求体不是有效的 UTF-8 文本",
);
pub(crate) const MULTIPART_MALFORMED: Words = Words::fixed(
    "the multipart/form-data body is malformed",
    "multipart/form-data 请求体格式有误",
);
pub(crate) const TOO_MANY_FORM_FIELDS: Words = Words::fixed(
    "the form has more fields than limits.max_form_fields",
    "表单字段数超过 limits.max_form_fields",
);
pub(crate) const JSON_TOO_DEEP: Words = Words::fixed(
    "the JSON body nests deeper than limits.max_json_depth",
    "JSON 请求体嵌套层数超过 limits.max_json_depth",
);
pub(crate) const JSON_TOO_MANY_VALUES: Words = Words::fixed(
    "the JSON body holds more values than limits.max_json_values",
    "JSON 请求体包含的值数量超过 limits.max_json_values",
);
pub(crate) const UNDECRYPTABLE: Words = Words::fixed("cannot be decrypted", "无法解密");
pub(crate) const BAD_SIGNATURE: Words = Words::fixed(
    "not a base64 RSA-PSS-SHA256 signature of encryptedPassword.encryptedData by the client's private key",
    "不是客户端私钥对 encryptedPassword.encryptedData 所作的 base64 RSA-PSS-SHA256 签名",
);
pub(crate) const CLIENT_MISMATCH: Words = Words::fixed(
    "differs from the client id inside encryptedData",
    "与 encryptedData 内的客户端标识不一致",
);
pub(crate) const BAD_NONCE: Words = Words::fixed(
    "must be a string of 16 to 128 random characters, new for every request",
    "必须是 16 到 128 个随机字符组成的字符串，每个请求各不相同",
);
pub(crate) const UNIX_SECONDS: Words = Words::fixed("Unix seconds (an integer)", "Unix 秒数（整数）");
pub(crate) const ONE_FILE: Words = Words::fixed(
    "send one file part of this name, not several",
    "此名称只能上传一个文件",
);
