//! `cargo xtask validate` as a maintainer runs it: on the workspace's specs, and on a broken
//! copy of them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace_specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec")
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("the xtask binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A copy of spec/ in a fresh temporary folder, with `to` in place of `from` in `file`.
fn broken_copy(name: &str, file: &str, from: &str, to: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(workspace_specs()).unwrap() {
        let path = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.file_name().unwrap() == file {
            assert!(text.contains(from), "{file} has no {from:?}");
            text = text.replacen(from, to, 1);
        }
        std::fs::write(dir.join(path.file_name().unwrap()), text).unwrap();
    }
    dir
}

/// The 1-based line of `needle` in `text`, searching from the line that contains `after`.
fn line_after(text: &str, after: &str, needle: &str) -> usize {
    let start = text.lines().position(|line| line.contains(after)).unwrap();
    start
        + text
            .lines()
            .skip(start)
            .position(|line| line.contains(needle))
            .unwrap()
        + 1
}

#[test]
fn the_workspace_specs_are_valid_with_one_summary_line() {
    let output = xtask(&["validate"]);

    let text = stdout(&output);
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.trim_end().ends_with("schemas: valid"), "{text}");
}

#[test]
fn a_broken_copy_of_a_spec_fails_with_file_line_and_pointer() {
    let dir = broken_copy(
        "broken",
        "allocations.yaml",
        "      operationId: getDailyExceeding\n",
        "",
    );
    let source = std::fs::read_to_string(dir.join("allocations.yaml")).unwrap();
    let line = line_after(&source, "/v1/allocations/daily-exceeding:", "get:");

    let output = xtask(&["validate", dir.to_str().unwrap()]);

    let text = stdout(&output);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(output.status.code(), Some(1), "{text}");
    let expected = format!(
        "{}/allocations.yaml:{line}: error[missing-operation-id] at \
         /paths/~1v1~1allocations~1daily-exceeding/get: ",
        dir.display()
    );
    assert!(text.starts_with(&expected), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("1 problem in 1 spec file"),
        "{:?}",
        output.stderr
    );
}

#[test]
fn github_format_annotates_the_line() {
    let dir = broken_copy(
        "github",
        "common.yaml",
        "      enum: [ENTRY, EXIT]",
        "      enum: [ENTRY, Exit]",
    );
    let source = std::fs::read_to_string(dir.join("common.yaml")).unwrap();
    let line = line_after(&source, "    Direction:", "enum: [ENTRY, Exit]");

    let output = xtask(&[
        "validate",
        "--format",
        "github",
        dir.join("common.yaml").to_str().unwrap(),
    ]);

    let text = stdout(&output);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(output.status.code(), Some(1), "{text}");
    let expected = format!(
        "::error file={}/common.yaml,line={line},title=enum-value-not-screaming-snake-case::",
        dir.display()
    );
    assert!(
        text.lines()
            .any(|annotation| annotation.starts_with(&expected)),
        "{text}"
    );
}

#[test]
fn a_missing_spec_path_is_an_error_not_a_panic() {
    let output = xtask(&["validate", "/nonexistent/spec.yaml"]);

    let errors = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        errors.contains("no such spec file or folder: /nonexistent/spec.yaml"),
        "{errors}"
    );
}

#[test]
fn a_file_that_is_not_a_spec_is_refused_instead_of_ignored() {
    let dir = broken_copy("json", "common.yaml", "openapi: 3.0.3", "openapi: 3.0.3");
    std::fs::write(dir.join("broken.json"), "{").unwrap();
    std::fs::write(dir.join("broken.YAML"), "- not a spec").unwrap();

    let json = xtask(&["validate", dir.join("broken.json").to_str().unwrap()]);
    let upper = xtask(&["validate", dir.join("broken.YAML").to_str().unwrap()]);

    std::fs::remove_dir_all(&dir).unwrap();
    for output in [json, upper] {
        let errors = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{errors}");
        assert!(errors.contains("is not a spec file"), "{errors}");
        assert_eq!(stdout(&output), "");
    }
}

#[test]
fn a_folder_named_beside_one_of_its_files_is_reported_whole() {
    let dir = broken_copy(
        "whole",
        "allocations.yaml",
        "      operationId: getDailyExceeding\n",
        "",
    );

    let output = xtask(&[
        "validate",
        dir.to_str().unwrap(),
        dir.join("balancing.yaml").to_str().unwrap(),
    ]);

    let text = stdout(&output);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("error[missing-operation-id]"), "{text}");
}

#[test]
fn a_folder_named_twice_is_checked_once() {
    let specs = workspace_specs();

    let once = xtask(&["validate", specs.to_str().unwrap()]);
    let twice = xtask(&[
        "validate",
        specs.to_str().unwrap(),
        specs.join(".").to_str().unwrap(),
    ]);

    assert!(twice.status.success(), "{}", stdout(&twice));
    assert_eq!(stdout(&twice), stdout(&once));
}
