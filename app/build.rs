//! Builds the editor's JavaScript (`app/js`: CodeMirror 6, bundled by esbuild
//! into `app/js/dist/editor.js`) before the browser build compiles, because
//! `client/binding.rs` imports that file through wasm-bindgen, which embeds it
//! at compile time. It is a build output, never committed, so `cargo leptos
//! build`, `cargo leptos watch` and CI all make it from a clean clone: the npm
//! packages come from `app/js/package-lock.json` (installed once, again only
//! when the lock file changes). The server build does not need it.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=js/src");
    println!("cargo:rerun-if-changed=js/build.mjs");
    println!("cargo:rerun-if-changed=js/package.json");
    println!("cargo:rerun-if-changed=js/package-lock.json");
    // A deleted bundle is made again, even when nothing else changed.
    println!("cargo:rerun-if-changed=js/dist/editor.js");
    println!("cargo:rerun-if-changed=js/dist/modes.js");
    let browser = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "wasm32")
        && std::env::var_os("CARGO_FEATURE_HYDRATE").is_some();
    if !browser {
        return;
    }
    let js = Path::new(env!("CARGO_MANIFEST_DIR")).join("js");
    let installed = js.join("node_modules/.package-lock.json");
    let stale = match (std::fs::metadata(&installed), std::fs::metadata(js.join("package-lock.json"))) {
        (Ok(installed), Ok(lock)) => match (installed.modified(), lock.modified()) {
            (Ok(installed), Ok(lock)) => installed < lock,
            _ => true,
        },
        _ => true,
    };
    if stale {
        // No install scripts: esbuild's binary comes in its platform package.
        let args = ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"];
        run(Command::new("npm").args(args).current_dir(&js), "npm ci");
    }
    run(Command::new("node").arg("build.mjs").current_dir(&js), "node build.mjs");
}

fn run(command: &mut Command, what: &str) {
    match command.status() {
        Ok(status) if status.success() => {}
        Ok(status) => panic!("{what} in app/js failed ({status}); see the output above"),
        Err(error) => {
            panic!("{what} in app/js could not start ({error}): Node.js and npm are needed (bash scripts/setup.sh)")
        }
    }
}
