//! `cargo xtask ci`: the checks of continuous integration, run locally in the same order.
//!
//! `.ci/run` and `.github/workflows/ci.yml` list the same commands; a test below reads both
//! files and fails when one of them misses a step, so the three cannot drift apart.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

/// A rustup component a step needs, which a minimal toolchain may lack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    Rustfmt,
    Clippy,
}

impl Component {
    fn name(self) -> &'static str {
        match self {
            Component::Rustfmt => "rustfmt",
            Component::Clippy => "clippy",
        }
    }

    /// The cargo subcommand that proves it is installed.
    fn cargo_subcommand(self) -> &'static str {
        match self {
            Component::Rustfmt => "fmt",
            Component::Clippy => "clippy",
        }
    }

    fn is_installed(self) -> bool {
        Command::new("cargo")
            .args([self.cargo_subcommand(), "--version"])
            .output()
            .is_ok_and(|output| output.status.success())
    }
}

/// One check: a cargo command line.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub title: &'static str,
    /// The arguments of `cargo`.
    pub args: &'static [&'static str],
    /// Environment variables the step sets.
    pub env: &'static [(&'static str, &'static str)],
    /// A component without which the step is skipped, with a message, rather than failed.
    pub needs: Option<Component>,
}

impl Step {
    /// The command as a person would type it: `cargo xtask generate --check`.
    pub fn command_line(&self) -> String {
        let env: Vec<String> = self
            .env
            .iter()
            .map(|(name, value)| format!("{name}=\"{value}\""))
            .collect();
        let mut words = env;
        words.push("cargo".to_owned());
        words.extend(self.args.iter().map(|arg| (*arg).to_owned()));
        words.join(" ")
    }
}

/// Every check, cheapest and most telling first: a bad spec fails in seconds, before any
/// crate is compiled for tests.
pub const STEPS: &[Step] = &[
    Step {
        title: "The specs are valid",
        args: &["xtask", "validate"],
        env: &[],
        needs: None,
    },
    Step {
        title: "The generated code matches spec/",
        args: &["xtask", "generate", "--check"],
        env: &[],
        needs: None,
    },
    Step {
        title: "Formatting",
        args: &["fmt", "--all", "--check"],
        env: &[],
        needs: Some(Component::Rustfmt),
    },
    Step {
        title: "Clippy, warnings denied",
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
        needs: Some(Component::Clippy),
    },
    Step {
        title: "One domain alone",
        args: &[
            "check",
            "-p",
            "ingrid",
            "--no-default-features",
            "--features",
            "allocations",
            "--locked",
        ],
        env: &[],
        needs: None,
    },
    Step {
        title: "Tests",
        args: &["test", "--workspace", "--locked"],
        env: &[],
        needs: None,
    },
    Step {
        title: "Documentation, warnings denied",
        // Libraries only: the `ingrid` binary of ingrid-cli would overwrite the facade's
        // `ingrid` documentation (cargo's output filename collision).
        args: &["doc", "--workspace", "--no-deps", "--lib", "--locked"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
        needs: None,
    },
];

/// Runs every step from `root`, stopping at the first that fails.
pub fn run(root: &Path) -> ExitCode {
    let mut timings: Vec<(&str, Option<Duration>)> = Vec::new();

    for step in STEPS {
        if let Some(component) = step.needs
            && !component.is_installed()
        {
            out!(
                "==> skipping \"{}\": {} is not installed (rustup component add {})",
                step.title,
                component.name(),
                component.name()
            );
            timings.push((step.title, None));
            continue;
        }

        out!("==> {}: {}", step.title, step.command_line());
        let started = Instant::now();
        let status = Command::new("cargo")
            .args(step.args)
            .envs(step.env.iter().copied())
            .current_dir(root)
            .status();
        let elapsed = started.elapsed();
        match status {
            Ok(status) if status.success() => timings.push((step.title, Some(elapsed))),
            Ok(status) => {
                eprintln!(
                    "\nfailed: \"{}\" ({}) after {:.0?}",
                    step.title, status, elapsed
                );
                return ExitCode::FAILURE;
            }
            Err(error) => {
                eprintln!("\nfailed: \"{}\": cannot run cargo: {error}", step.title);
                return ExitCode::FAILURE;
            }
        }
    }

    out!("\nevery check passed:");
    for (title, elapsed) in timings {
        match elapsed {
            Some(elapsed) => out!("  {:>6.1}s  {title}", elapsed.as_secs_f64()),
            None => out!("  skipped  {title}"),
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace_file(path: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
    }

    /// Asserts that `text` runs every step, in the order of [`STEPS`].
    fn assert_runs_every_step_in_order(name: &str, text: &str) {
        let mut from = 0;
        for step in STEPS {
            let command = format!("cargo {}", step.args.join(" "));
            let Some(at) = text[from..].find(&command) else {
                panic!("{name} does not run `{command}` after the steps before it");
            };
            from += at + command.len();
        }
    }

    #[test]
    fn ci_run_has_every_step_of_xtask_ci_in_order() {
        let script = workspace_file(".ci/run");

        assert_runs_every_step_in_order(".ci/run", &script);
        assert!(
            script.contains("RUSTDOCFLAGS=\"-D warnings\""),
            ".ci/run: cargo doc"
        );
    }

    #[test]
    fn the_workflow_has_every_step_of_xtask_ci_in_order() {
        // The workflow asks validate for annotations: compare without that flag.
        let workflow = workspace_file(".github/workflows/ci.yml").replace(
            "cargo xtask validate --format github",
            "cargo xtask validate",
        );

        assert_runs_every_step_in_order("ci.yml", &workflow);
        assert!(
            workflow.contains("RUSTDOCFLAGS: -D warnings"),
            "ci.yml: cargo doc"
        );
    }

    #[test]
    fn a_command_line_shows_its_environment() {
        let doc = STEPS.last().unwrap();

        assert_eq!(
            doc.command_line(),
            "RUSTDOCFLAGS=\"-D warnings\" cargo doc --workspace --no-deps --lib --locked"
        );
    }
}
