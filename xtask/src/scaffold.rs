//! A new domain spec gets its crate: `Cargo.toml` and a small `lib.rs`, written once.
//!
//! Both are hand-written from then on (a domain can add helpers to its `lib.rs`), so they are
//! created only when missing and never compared by `--check`.

use std::path::{Path, PathBuf};

use ingrid_openapi::Document;
use serde_json::Value;

use crate::generate::domain_crate_dir;

/// Creates the crate of `document` if it does not exist; returns the files written.
pub fn domain_crate(root: &Path, document: &Document) -> std::io::Result<Vec<PathBuf>> {
    let dir = domain_crate_dir(document.domain());
    let manifest = dir.join("Cargo.toml");
    if root.join(&manifest).exists() {
        return Ok(Vec::new());
    }

    let title = document
        .value
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or(document.domain());
    let package = format!("ingrid-{}", document.domain());
    let manifest_text = format!(
        r#"[package]
name = "{package}"
description = "Generated client for {title}."
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish.workspace = true

[dependencies]
chrono.workspace = true
ingrid-types.workspace = true
progenitor-client.workspace = true
reqwest.workspace = true
serde.workspace = true
serde_json.workspace = true

[lints]
workspace = true
"#
    );
    let lib_text = format!(
        r#"//! Client for {title}, generated from `spec/{file}`.
//!
//! The code in `generated.rs` comes from the spec; regenerate it with `cargo xtask generate`.
//! Most users reach this client through the `ingrid` facade, which adds the token.

// Formatted by the generator (prettyplease); rustfmt would fight `--check`.
#[rustfmt::skip]
#[allow(missing_docs, clippy::all)]
mod generated;

pub use generated::*;
pub use ingrid_types;
"#,
        file = document.file
    );

    let lib = dir.join("src/lib.rs");
    std::fs::create_dir_all(root.join(dir.join("src")))?;
    std::fs::write(root.join(&manifest), manifest_text)?;
    std::fs::write(root.join(&lib), lib_text)?;
    Ok(vec![manifest, lib])
}
