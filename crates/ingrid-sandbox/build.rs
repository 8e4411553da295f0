//! Embeds the workspace's `spec/*.yaml` files into the sandbox.
//!
//! The sandbox serves whatever operations the specs declare, so the specs are compiled in rather
//! than read at run time: a binary built from a checkout always serves that checkout's API. The
//! script writes `embedded_specs.rs` into `OUT_DIR` with one `(file name, include_str!(path))`
//! entry per spec, and asks Cargo to rerun it when the folder or any file in it changes, so an
//! operation added to a spec is served after the next build with no new code.

use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

/// Where the specs live, relative to this crate's manifest.
const SPEC_DIR: &str = "../../spec";

fn main() -> Result<(), Box<dyn Error>> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let spec_dir = manifest_dir.join(SPEC_DIR);
    println!("cargo:rerun-if-changed={}", spec_dir.display());

    let specs = spec_files(&spec_dir)?;

    let mut source = String::from(
        "/// The workspace's spec files at build time: `(file name, YAML source)`, by file name.\n\
         const EMBEDDED_SPECS: &[(&str, &str)] = &[\n",
    );
    for (file_name, path) in &specs {
        println!("cargo:rerun-if-changed={}", path.display());
        // Debug formatting writes valid Rust string literals, escapes included.
        let absolute = path
            .to_str()
            .ok_or_else(|| format!("spec path {} is not valid UTF-8", path.display()))?;
        writeln!(source, "    ({file_name:?}, include_str!({absolute:?})),")?;
    }
    source.push_str("];\n");

    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(out_dir.join("embedded_specs.rs"), source)?;
    Ok(())
}

/// The `*.yaml` and `*.yml` files of `dir`, sorted by file name, with their absolute paths.
fn spec_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, Box<dyn Error>> {
    let dir = dir
        .canonicalize()
        .map_err(|error| format!("cannot find the spec folder {}: {error}", dir.display()))?;

    let mut files = Vec::new();
    for entry in fs::read_dir(&dir)? {
        let path = entry?.path();
        let is_yaml = path
            .extension()
            .is_some_and(|extension| extension == "yaml" || extension == "yml");
        if !is_yaml || !path.is_file() {
            continue;
        }
        let Some(file_name) = path.file_name().and_then(|name| name.to_str()) else {
            return Err(format!("spec file name {} is not valid UTF-8", path.display()).into());
        };
        files.push((file_name.to_owned(), path.clone()));
    }
    files.sort();
    Ok(files)
}
