//! The sandbox on real modules: what a handler writes and how it ends.

use worker::runtime::{Ending, Invocation, Limits, Runtime};

use crate::helpers::handler;

async fn run_probe(data: serde_json::Value, limits: Limits) -> worker::runtime::Outcome {
    let runtime = Runtime::new(None, 2).unwrap();
    let module = runtime.prepare("probe", &handler("probe")).unwrap();
    let invocation = Invocation {
        stdin: serde_json::to_vec(&data).unwrap(),
        env: vec![],
        limits,
        ..Invocation::default()
    };
    runtime.invoke(&module, invocation).await
}

#[tokio::test]
async fn known_bytes_on_stdout_and_stderr_are_kept_exactly_and_apart() {
    let outcome = run_probe(
        serde_json::json!({ "stdout": "one\ntwo\n", "stderr": "warning: é\n" }),
        Limits::default(),
    )
    .await;

    assert_eq!(outcome.ending, Ending::Exited(0));
    assert_eq!(outcome.stdout.bytes, b"one\ntwo\n");
    assert_eq!(outcome.stderr.bytes, "warning: é\n".as_bytes());
    let lines: Vec<String> = outcome
        .stdout
        .text_lines()
        .into_iter()
        .map(|(_, l)| l)
        .collect();
    assert_eq!(lines, ["one", "two"]);
    assert_eq!(
        outcome
            .stdout
            .lines
            .iter()
            .map(|l| l.offset)
            .collect::<Vec<_>>(),
        [0, 4]
    );
}

#[tokio::test]
async fn an_exit_code_is_the_ending() {
    let outcome = run_probe(serde_json::json!({ "exitCode": 3 }), Limits::default()).await;
    assert_eq!(outcome.ending, Ending::Exited(3));
}

#[tokio::test]
async fn a_trap_ends_the_run_with_its_message() {
    let outcome = run_probe(
        serde_json::json!({ "stdout": "before\n", "trap": true }),
        Limits::default(),
    )
    .await;
    assert_eq!(
        outcome.ending,
        Ending::Trapped("wasm trap: wasm `unreachable` instruction executed".into())
    );
    assert_eq!(outcome.stdout.bytes, b"before\n");
}

#[tokio::test]
async fn output_past_the_cap_keeps_head_and_tail() {
    let text: String = (0..100).map(|i| format!("line {i:03}\n")).collect();
    let limits = Limits {
        output_cap: 100,
        ..Limits::default()
    };
    let outcome = run_probe(serde_json::json!({ "stdout": text }), limits).await;

    let out = &outcome.stdout;
    assert_eq!(out.total_bytes, 900);
    assert_eq!(out.omitted_bytes, 800);
    assert_eq!(out.omitted_at, 50);
    assert_eq!(&out.bytes[..50], &text.as_bytes()[..50]);
    assert_eq!(&out.bytes[50..], &text.as_bytes()[850..]);
}

#[tokio::test]
async fn bad_data_is_reported_by_the_handler_on_stderr() {
    let outcome = run_probe(
        serde_json::json!({ "exitCode": "three" }),
        Limits::default(),
    )
    .await;
    assert_eq!(outcome.ending, Ending::Exited(1));
    let stderr = String::from_utf8(outcome.stderr.bytes).unwrap();
    assert_eq!(
        stderr,
        "the data is not what this handler expects: invalid type: string \"three\", \
         expected i32 at line 1 column 19\n"
    );
}

#[test]
fn the_line_index_is_bounded_however_short_the_lines() {
    use worker::runtime::Capture;
    const CAP: usize = 4 << 20;
    let capture = Capture::new(CAP);
    // Four mebibytes of empty lines: within the byte cap, far past the index.
    capture.push(&vec![b'\n'; CAP]);
    let out = capture.finish();

    assert_eq!((out.bytes.len(), out.omitted_bytes), (CAP, 0));
    // 65,536 lines indexed in each half; the lines between share an entry.
    assert_eq!(out.lines.len(), 2 * 65_536);
    assert_eq!(out.lines[0].offset, 0);
    assert_eq!(out.lines[65_535].offset, 65_535);
    assert_eq!(out.lines[65_536].offset, (CAP - 65_536) as u64);
    assert_eq!(out.lines.last().unwrap().offset, (CAP - 1) as u64);
    let text = out.text_lines();
    assert_eq!(text.len(), 2 * 65_536);
    assert_eq!(text[65_535].1, "\n".repeat(CAP - 2 * 65_536));
}
