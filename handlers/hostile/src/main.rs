//! `hostile`: a handler that misbehaves in the way its data names. The
//! sandbox tests run it to show that each kind of misbehaviour is contained
//! and reported, and that it harms no other run.

use std::hint::black_box;
use std::io::Write;

use serde::Deserialize;

enschedule_sdk::embed_manifest!(include_bytes!("../manifest.json"));

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Attack {
    /// Spins forever: only the timeout ends it.
    Loop,
    /// Allocates and touches memory until an allocation fails.
    Memory,
    /// Recurses without end until the call stack is exhausted.
    Recursion,
    /// Writes `bytes` bytes of 100-byte lines to stdout (default 50 MB) and
    /// `stderrBytes` to stderr (default none).
    Flood,
    /// Writes bytes that are not UTF-8 to both streams.
    InvalidUtf8,
    /// Tries to read a host file.
    ReadFile,
    /// Prints every environment variable it can see.
    Environment,
    /// Tries to open a TCP connection.
    Socket,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Data {
    attack: Attack,
    #[serde(default)]
    bytes: Option<u64>,
    #[serde(default)]
    stderr_bytes: u64,
}

fn main() {
    enschedule_sdk::run(|data: Data| match data.attack {
        Attack::Loop => spin(),
        Attack::Memory => exhaust_memory(),
        Attack::Recursion => {
            println!("depth reached: {}", recurse(0));
            Ok(())
        }
        Attack::Flood => {
            flood(std::io::stdout().lock(), data.bytes.unwrap_or(50_000_000))?;
            flood(std::io::stderr().lock(), data.stderr_bytes)
        }
        Attack::InvalidUtf8 => {
            let _ = std::io::stdout().write_all(b"ok \xff\xfe end\n");
            let _ = std::io::stderr().write_all(b"\xc3\x28\n");
            Ok(())
        }
        Attack::ReadFile => match std::fs::read("/etc/passwd") {
            Ok(bytes) => Err(format!("read /etc/passwd: {} bytes", bytes.len())),
            Err(e) => Err(format!("read /etc/passwd: {e}")),
        },
        Attack::Environment => {
            for (name, value) in std::env::vars() {
                println!("{name}={value}");
            }
            Ok(())
        }
        Attack::Socket => match std::net::TcpStream::connect("127.0.0.1:80") {
            Ok(_) => Err("connected to 127.0.0.1:80".to_string()),
            Err(e) => Err(format!("connect 127.0.0.1:80: {e}")),
        },
    })
}

fn spin() -> Result<(), String> {
    let mut n = 0u64;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

fn exhaust_memory() -> Result<(), String> {
    let mut kept: Vec<Vec<u8>> = Vec::new();
    loop {
        // Touch every page, so the memory is really in use.
        kept.push(vec![1u8; 1 << 20]);
        black_box(&kept);
    }
}

#[expect(unconditional_recursion, reason = "the point is to exhaust the stack")]
fn recurse(depth: u64) -> u64 {
    // black_box keeps the call from becoming a loop.
    black_box(recurse(black_box(depth + 1))) + 1
}

fn flood(stream: impl Write, bytes: u64) -> Result<(), String> {
    let line = [b"x".repeat(99), b"\n".to_vec()].concat();
    // Batched, so a flood costs few host calls, as a real program's would.
    let mut out = std::io::BufWriter::with_capacity(64 << 10, stream);
    let mut left = bytes;
    while left > 0 {
        let n = left.min(line.len() as u64) as usize;
        out.write_all(&line[..n]).map_err(|e| e.to_string())?;
        left -= n as u64;
    }
    out.flush().map_err(|e| e.to_string())
}
