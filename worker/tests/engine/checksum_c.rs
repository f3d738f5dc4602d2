//! `checksum-c`, a handler written in C (`handlers/checksum-c`): the handler
//! ABI and the embedded manifest work without Rust on the guest side.
//! Expected CRC-32s come from Python's `zlib.crc32`.

use worker::manifest::inspect;
use worker::runtime::{Ending, Invocation, Outcome, Runtime};

use crate::helpers::handler;

async fn run_checksum(stdin: &[u8]) -> Outcome {
    let runtime = Runtime::new(None, 2).unwrap();
    let module = runtime
        .prepare("checksum-c", &handler("checksum-c"))
        .unwrap();
    let invocation = Invocation {
        stdin: stdin.to_vec(),
        ..Invocation::default()
    };
    runtime.invoke(&module, invocation).await
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

#[test]
fn checksum_c_carries_its_manifest_in_the_enschedule_section() {
    let info = inspect(&handler("checksum-c")).expect("a WASI command");
    let manifest = info.manifest.expect("the `enschedule` custom section");
    assert_eq!(manifest.id, "checksum-c");
    assert_eq!(manifest.version, 1);
    assert_eq!(manifest.title, "Checksum (C)");
    assert_eq!(
        manifest.example,
        serde_json::json!({ "text": "hello, world" })
    );
    manifest.validate().expect("a valid manifest");
}

#[tokio::test]
async fn checksum_c_prints_the_length_and_crc32_of_the_text() {
    // 123456789 is the standard check input of CRC-32.
    for (data, line) in [
        (r#"{"text": "123456789"}"#, "length=9 crc32=cbf43926\n"),
        (r#"{"text": "hello, world"}"#, "length=12 crc32=ffab723a\n"),
        (r#"{"text": ""}"#, "length=0 crc32=00000000\n"),
    ] {
        let outcome = run_checksum(data.as_bytes()).await;
        assert_eq!(outcome.ending, Ending::Exited(0), "{data}");
        assert_eq!(text(&outcome.stdout.bytes), line, "{data}");
        assert_eq!(text(&outcome.stderr.bytes), "", "{data}");
    }
}

#[tokio::test]
async fn checksum_c_decodes_escapes_and_unicode_and_skips_other_members() {
    // The text is `tab<TAB>here "q" back\slash / é 😀 é<NUL><LF>`: 38 bytes
    // of UTF-8, the emoji written as a surrogate pair, the second é raw.
    let data = r#"{"note": [1, {"x": null}], "text": "tab\there \"q\" back\\slash \/ \u00e9 \ud83d\ude00 é\u0000\n"}"#;
    let outcome = run_checksum(data.as_bytes()).await;
    assert_eq!(outcome.ending, Ending::Exited(0));
    assert_eq!(text(&outcome.stdout.bytes), "length=38 crc32=df8fb737\n");
    assert_eq!(text(&outcome.stderr.bytes), "");
}

#[tokio::test]
async fn checksum_c_refuses_bad_data_on_stderr_with_exit_code_1() {
    let expects = "the data is not what this handler expects";
    for (data, message) in [
        (r#"{"text": 42}"#, "`text` must be a string (at byte 9)"),
        (r#"{"txt": "a"}"#, "missing field `text`"),
        (
            r#"{"text": "\ud800"}"#,
            r"a \u escape is a high surrogate with no low one after it (at byte 10)",
        ),
        (r#"{"text": "open"#, "a string is not closed (at byte 9)"),
    ] {
        let outcome = run_checksum(data.as_bytes()).await;
        assert_eq!(outcome.ending, Ending::Exited(1), "{data}");
        assert_eq!(text(&outcome.stdout.bytes), "", "{data}");
        assert_eq!(
            text(&outcome.stderr.bytes),
            format!("{expects}: {message}\n"),
            "{data}"
        );
    }
}
