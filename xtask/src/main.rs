//! Maintenance tasks of the ingrid-rs workspace, run as `cargo xtask <task>`.
//!
//! - `generate [--domain NAME] [--check]`: writes every crate's generated module from
//!   `spec/`; with `--check`, writes nothing and fails with a diff when the committed code
//!   and the specs disagree.
//! - `validate [SPEC...] [--format human|github]`: every problem of the specs, each with its
//!   file, line and JSON pointer; then a trial generation. Exits non-zero on any problem.
//! - `diff [--base REV] [--format text|markdown]`: each crate's API changes between the specs
//!   at a git revision and the working tree, breaking or additive, with the semver bump.
//! - `ci`: the checks of `.ci/run` and the GitHub workflow, in their order.

/// Prints a line on stdout. A reader that went away (`cargo xtask ... | head`) ends the output,
/// not the task: the error is ignored instead of panicking like `println!`.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// [`out!`] without the line break.
macro_rules! out_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

mod ci;
mod cli_table;
mod coverage;
mod diff;
mod generate;
mod open_enum;
mod rust_names;
mod scaffold;
mod transform;
mod validate;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ingrid_openapi::SpecSet;
use validate::{Finding, SpecFolder};

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
    /// Check the specs: every problem, with its file, line and JSON pointer.
    Validate {
        /// Spec files or folders to check (default: every file of spec/). The other files of
        /// a named file's folder are read too, for references.
        #[arg(value_name = "SPEC")]
        specs: Vec<PathBuf>,
        /// `github` prints workflow commands that annotate the pull request.
        #[arg(long, value_enum, default_value = "human")]
        format: validate::Format,
    },
    /// List each crate's API changes between the specs at a git revision and the working tree.
    ///
    /// Exit status: 0 when no API changed, 3 when every change is additive, 4 when one is
    /// breaking, 1 when the comparison could not be made.
    Diff {
        /// The revision to compare with (default: the merge base of HEAD and main).
        #[arg(long, value_name = "REV")]
        base: Option<String>,
        /// `markdown` for a pull request or a job summary.
        #[arg(long, value_enum, default_value = "text")]
        format: diff::Format,
    },
    /// Run the checks of continuous integration, as `.ci/run` does: validate, generate
    /// --check, fmt, clippy, one domain alone, tests, doc.
    Ci,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();

    let result = match cli.task {
        Task::Generate { domain, check } => run_generate(&root, domain.as_deref(), check),
        Task::Validate { specs, format } => run_validate(&root, &specs, format),
        Task::Diff { base, format } => run_diff(&root, base.as_deref(), format),
        Task::Ci => Ok(ci::run(&root)),
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
    // progenitor panics or generates wrong code on what validate catches: never let it see that.
    let folder = SpecFolder::load(&root.join("spec"), "spec")?;
    let findings = validate::check(&folder, &BTreeSet::new());
    if !findings.is_empty() {
        print_findings(&folder, &findings, validate::Format::Human);
        return Err(format!(
            "{}; nothing was generated (`cargo xtask validate` lists them again)",
            problem_count(&findings)
        ));
    }

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
                out!("created {} (hand-written from now on)", path.display());
            }
        }
        let written = generate::write(root, &outputs)
            .map_err(|error| format!("cannot write generated code: {error}"))?;
        for path in &written {
            out!("wrote {}", path.display());
        }
        out!(
            "{} files generated, {} changed",
            outputs.len(),
            written.len()
        );
        if domain.is_none() {
            for path in generate::orphans(root, &outputs) {
                eprintln!("warning: {}: {ORPHAN}", path.display());
            }
        }
        return Ok(ExitCode::SUCCESS);
    }

    let stale = generate::stale(root, &outputs);
    // Only a run over every domain knows which generated files no spec makes any more.
    let orphans = match domain {
        None => generate::orphans(root, &outputs),
        Some(_) => Vec::new(),
    };
    if stale.is_empty() && orphans.is_empty() {
        out!("{} generated files match spec/", outputs.len());
        return Ok(ExitCode::SUCCESS);
    }
    for (_, diff) in &stale {
        out!("{diff}");
    }
    eprintln!("\nout of date with spec/ (run `cargo xtask generate`):");
    for (output, _) in &stale {
        eprintln!(
            "  {}: {}",
            output.path.display(),
            generate::staleness(root, output)
        );
    }
    for path in &orphans {
        eprintln!("  {}: {ORPHAN}", path.display());
    }
    Ok(ExitCode::FAILURE)
}

/// What `generate` says of a generated module that no spec generates any more.
const ORPHAN: &str = "no spec generates it any more (its spec was removed or renamed): remove \
                      the crate and its place in the facade, or restore the spec";

/// One folder to validate and the files of it to report on (all when empty).
struct ValidateTarget {
    dir: PathBuf,
    display: String,
    only: BTreeSet<String>,
}

/// Groups the command line's files and folders by folder; none means the workspace's spec/.
/// A folder named in two ways (`spec` and `./spec`) is checked once, and a folder named as a
/// whole is reported on whole, whichever of its files are named too.
fn validate_targets(root: &Path, specs: &[PathBuf]) -> Result<Vec<ValidateTarget>, String> {
    if specs.is_empty() {
        return Ok(vec![ValidateTarget {
            dir: root.join("spec"),
            display: "spec".to_owned(),
            only: BTreeSet::new(),
        }]);
    }

    // By canonical folder: the target, and whether the folder was named as a whole.
    let mut by_dir: BTreeMap<PathBuf, (ValidateTarget, bool)> = BTreeMap::new();
    for spec in specs {
        let (dir, file) = if spec.is_dir() {
            (spec.clone(), None)
        } else if spec.is_file() {
            if !is_spec_file(spec) {
                return Err(format!(
                    "{} is not a spec file: specs are the `.yaml` and `.yml` files (lower case) \
                     of a folder, the only files validate reads",
                    spec.display()
                ));
            }
            let parent = spec.parent().unwrap_or(Path::new("")).to_path_buf();
            let name = spec
                .file_name()
                .map(|name| name.to_string_lossy().into_owned());
            (parent, name)
        } else {
            return Err(format!("no such spec file or folder: {}", spec.display()));
        };
        let display = match dir.to_string_lossy().trim_end_matches('/') {
            "" => ".".to_owned(),
            text => text.to_owned(),
        };
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let canonical = std::fs::canonicalize(&dir)
            .map_err(|error| format!("cannot read the spec folder {display}: {error}"))?;

        let (target, whole) = by_dir.entry(canonical).or_insert_with(|| {
            let target = ValidateTarget {
                dir,
                display,
                only: BTreeSet::new(),
            };
            (target, false)
        });
        match file {
            Some(name) => {
                target.only.insert(name);
            }
            None => *whole = true,
        }
    }
    Ok(by_dir
        .into_values()
        .map(|(mut target, whole)| {
            if whole {
                target.only.clear();
            }
            target
        })
        .collect())
}

/// Whether `path` is a file a spec folder is read for.
fn is_spec_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension == "yaml" || extension == "yml")
}

fn run_validate(
    root: &Path,
    specs: &[PathBuf],
    format: validate::Format,
) -> Result<ExitCode, String> {
    let mut problems = Vec::new();
    let mut counts = validate::Counts {
        specs: 0,
        operations: 0,
        schemas: 0,
    };

    for target in validate_targets(root, specs)? {
        let folder = SpecFolder::load(&target.dir, &target.display)?;
        let mut findings = validate::check(&folder, &target.only);
        if findings.is_empty() {
            findings = validate::trial_generation(&folder, &target.only);
        }
        print_findings(&folder, &findings, format);
        problems.extend(findings);

        let folder_counts = validate::counts(&folder);
        counts.specs += folder_counts.specs;
        counts.operations += folder_counts.operations;
        counts.schemas += folder_counts.schemas;
    }

    if problems.is_empty() {
        out!(
            "{} specs, {} operations, {} schemas: valid",
            counts.specs,
            counts.operations,
            counts.schemas
        );
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("{}", problem_count(&problems));
    Ok(ExitCode::FAILURE)
}

fn print_findings(folder: &SpecFolder, findings: &[Finding], format: validate::Format) {
    for finding in findings {
        out!("{}", validate::render(finding, &folder.display, format));
    }
}

/// `3 problems in 2 spec files`.
fn problem_count(findings: &[Finding]) -> String {
    let files: BTreeSet<&str> = findings
        .iter()
        .map(|finding| finding.file.as_str())
        .collect();
    let plural = |count: usize, word: &str| {
        if count == 1 {
            format!("{count} {word}")
        } else {
            format!("{count} {word}s")
        }
    };
    format!(
        "{} in {}",
        plural(findings.len(), "problem"),
        plural(files.len(), "spec file")
    )
}

/// `diff`'s exit status when every change is additive.
const EXIT_ADDITIVE: u8 = 3;
/// `diff`'s exit status when a change is breaking.
const EXIT_BREAKING: u8 = 4;

fn run_diff(root: &Path, base: Option<&str>, format: diff::Format) -> Result<ExitCode, String> {
    let base = match base {
        Some(base) => base.to_owned(),
        None => diff::default_base(root)?,
    };
    let old = diff::specs_at(root, &base)?;
    let new = load_specs(root)?;

    let diffs = diff::compare(&old, &new)?;
    let version = diff::workspace_version(root).unwrap_or_else(|| "0.1.0".to_owned());
    out_raw!("{}", diff::render(&diffs, &base, &version, format));

    let impact = diffs.iter().filter_map(diff::CrateDiff::impact).max();
    Ok(match impact {
        None => ExitCode::SUCCESS,
        Some(diff::Impact::Additive) => ExitCode::from(EXIT_ADDITIVE),
        Some(diff::Impact::Breaking) => ExitCode::from(EXIT_BREAKING),
    })
}
