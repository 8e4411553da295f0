//! Maintenance tasks of the ingrid-rs workspace, run as `cargo xtask <task>`.
//!
//! - `generate [--domain NAME] [--check]`: writes every crate's generated module from
//!   `spec/`; with `--check`, writes nothing and fails with a diff when the committed code
//!   and the specs disagree.
//! - `validate`: checks that the specs load, their references resolve and they generate.

mod cli_table;
mod coverage;
mod generate;
mod open_enum;
mod scaffold;
mod transform;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ingrid_openapi::SpecSet;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Maintenance tasks of the ingrid-rs workspace"
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Generate the domain crates, the shared types and the CLI table from spec/.
    Generate {
        /// Only this domain (the spec file name without `.yaml`, for example `allocations`).
        #[arg(long, value_name = "NAME")]
        domain: Option<String>,
        /// Write nothing; fail with a diff if any generated file is out of date.
        #[arg(long)]
        check: bool,
    },
    /// Check that every spec loads, resolves and generates.
    Validate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();

    let result = match cli.task {
        Task::Generate { domain, check } => run_generate(&root, domain.as_deref(), check),
        Task::Validate => run_validate(&root),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

fn load_specs(root: &Path) -> Result<SpecSet, String> {
    SpecSet::load_dir(&root.join("spec")).map_err(|error| format!("spec/{error}"))
}

fn run_generate(root: &Path, domain: Option<&str>, check: bool) -> Result<ExitCode, String> {
    let set = load_specs(root)?;
    let outputs = generate::generate(&set, domain).map_err(|error| error.to_string())?;

    if !check {
        for document in set
            .domains()
            .filter(|doc| domain.is_none_or(|only| only == doc.domain()))
        {
            let created = scaffold::domain_crate(root, document).map_err(|error| {
                format!("cannot create the crate of {}: {error}", document.file)
            })?;
            for path in created {
                println!("created {} (hand-written from now on)", path.display());
            }
        }
        let written = generate::write(root, &outputs)
            .map_err(|error| format!("cannot write generated code: {error}"))?;
        for path in &written {
            println!("wrote {}", path.display());
        }
        println!(
            "{} files generated, {} changed",
            outputs.len(),
            written.len()
        );
        return Ok(ExitCode::SUCCESS);
    }

    let stale = generate::stale(root, &outputs);
    if stale.is_empty() {
        println!("{} generated files match spec/", outputs.len());
        return Ok(ExitCode::SUCCESS);
    }
    for (_, diff) in &stale {
        println!("{diff}");
    }
    eprintln!("\nout of date with spec/ (run `cargo xtask generate`):");
    for (output, _) in &stale {
        eprintln!("  {} (from spec/{})", output.path.display(), output.spec);
    }
    Ok(ExitCode::FAILURE)
}

fn run_validate(root: &Path) -> Result<ExitCode, String> {
    let set = load_specs(root)?;
    let outputs = generate::generate(&set, None).map_err(|error| error.to_string())?;
    let operations: usize = set
        .domains()
        .map(|document| ingrid_openapi::operations(&document.value).len())
        .sum();
    println!(
        "{} specs, {} operations: all load, resolve and generate ({} outputs)",
        set.documents().count(),
        operations,
        outputs.len()
    );
    Ok(ExitCode::SUCCESS)
}
