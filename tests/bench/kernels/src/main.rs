//! The kernels timed natively: `regsight-bench-kernels --gzip F --tar F --zstd F --digest D
//! --diff-id D --runs N` prints `{"<kernel>": [milliseconds per run, ...], ...}` as JSON.

use std::time::Instant;

use regsight_bench_kernels::{KERNELS, Layer};

fn main() -> std::process::ExitCode {
    match run() {
        Ok(json) => {
            println!("{json}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("regsight-bench-kernels: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<String, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .ok_or_else(|| format!("missing {name}"))
    };
    let read = |name: &str| arg(name).and_then(|p| std::fs::read(&p).map_err(|e| format!("{p}: {e}")));
    let runs: usize = arg("--runs")?.parse().map_err(|_| "--runs is not a number".to_owned())?;
    let layer =
        Layer::new(read("--gzip")?, read("--tar")?, read("--zstd")?, &arg("--digest")?, &arg("--diff-id")?)
            .map_err(|e| e.to_string())?;
    let mut times = serde_json::Map::new();
    for kernel in KERNELS {
        let mut ms = Vec::new();
        for _ in 0..runs {
            let start = Instant::now();
            layer.run(kernel).map_err(|e| e.to_string())?;
            ms.push(serde_json::json!(start.elapsed().as_secs_f64() * 1e3));
        }
        times.insert(kernel.to_owned(), serde_json::Value::Array(ms));
    }
    Ok(serde_json::Value::Object(times).to_string())
}
