//! The spec files of one folder, read for validation.
//!
//! Each file is parsed on its own, so that a syntax error in one file is reported beside the
//! problems of the others instead of stopping the run, as `SpecSet::load_dir` would.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ingrid_openapi::{Document, SpecSet, escape_pointer};
use serde_json::Value;

use super::lines::LineIndex;
use super::{Finding, Rule};

/// The readable spec files of a folder, with their line indexes.
#[derive(Debug)]
pub struct SpecFolder {
    /// How messages name the folder: `spec` for the workspace's, otherwise the path given.
    pub display: String,
    /// Every file that parsed, by file name.
    pub documents: BTreeMap<String, Document>,
    lines: BTreeMap<String, LineIndex>,
    /// A finding for every file that is not a YAML mapping.
    pub unreadable: Vec<Finding>,
    /// A finding for every key of a readable file that the loader reads otherwise than it
    /// is written: a key written twice in one mapping, a merge key.
    pub key_findings: Vec<Finding>,
}

impl SpecFolder {
    /// Reads every `*.yaml` and `*.yml` file of `dir`; `display` is how messages name `dir`.
    pub fn load(dir: &Path, display: &str) -> Result<Self, String> {
        let entries = std::fs::read_dir(dir)
            .map_err(|error| format!("cannot read the spec folder {display}: {error}"))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.extension()
                    .is_some_and(|extension| extension == "yaml" || extension == "yml")
            })
            .collect();
        paths.sort();

        let mut sources = Vec::with_capacity(paths.len());
        let mut not_utf8 = Vec::new();
        for path in paths {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let bytes = std::fs::read(&path)
                .map_err(|error| format!("cannot read {display}/{name}: {error}"))?;
            // A file that is not UTF-8 is a finding of its own: the others are still checked.
            match ingrid_openapi::decode_utf8(bytes) {
                Ok(source) => sources.push((name, source)),
                Err(error) => not_utf8.push(Finding {
                    file: name,
                    pointer: String::new(),
                    line: Some(error.line),
                    rule: Rule::InvalidYaml,
                    message: error.to_string(),
                }),
            }
        }
        let mut folder = Self::from_sources(display, sources);
        folder.unreadable.extend(not_utf8);
        Ok(folder)
    }

    /// Builds a folder from `(file name, YAML source)` pairs.
    pub fn from_sources<N, S>(display: &str, sources: impl IntoIterator<Item = (N, S)>) -> Self
    where
        N: AsRef<str>,
        S: AsRef<str>,
    {
        let mut folder = Self {
            display: display.trim_end_matches('/').to_owned(),
            documents: BTreeMap::new(),
            lines: BTreeMap::new(),
            unreadable: Vec::new(),
            key_findings: Vec::new(),
        };
        for (name, source) in sources {
            let name = name.as_ref();
            let source = ingrid_openapi::without_byte_order_mark(source.as_ref());
            let index = LineIndex::parse(source);
            match Document::parse(name, source) {
                Ok(document) => {
                    // Both parsers accepted the file, or only serde_yaml did: then there are
                    // no line numbers, but the findings still have their pointers.
                    let index = index.unwrap_or_default();
                    folder.key_findings.extend(duplicate_keys(name, &index));
                    folder.key_findings.extend(merge_keys(name, &index));
                    folder.lines.insert(name.to_owned(), index);
                    folder.documents.insert(name.to_owned(), document);
                }
                Err(error) => {
                    // Not YAML: where the parser stopped. YAML of the wrong shape (a list
                    // where a spec has a mapping): where the loader says.
                    let line = match &index {
                        Err(syntax) => Some(syntax.line),
                        Ok(index) => index
                            .line_of(&error.pointer)
                            .filter(|_| !error.pointer.is_empty())
                            .or_else(|| serde_yaml_line(source)),
                    };
                    folder.unreadable.push(Finding {
                        file: name.to_owned(),
                        pointer: error.pointer,
                        line,
                        rule: Rule::InvalidYaml,
                        message: error.message,
                    });
                }
            }
        }
        folder
    }

    /// Whether `file` exists in the folder but could not be read.
    pub fn is_unreadable(&self, file: &str) -> bool {
        self.unreadable.iter().any(|finding| finding.file == file)
    }

    /// The parsed value of `file`.
    pub fn value(&self, file: &str) -> Option<&Value> {
        self.documents.get(file).map(|document| &document.value)
    }

    /// The readable documents as the loader's set, for bundling.
    pub fn spec_set(&self) -> SpecSet {
        SpecSet::from_sources(
            self.documents
                .values()
                .map(|document| (document.file.as_str(), document.source.as_str())),
        )
        .expect("every document of the folder parsed once already")
    }

    /// The line of `pointer` in `file`, when the YAML parser knows it.
    pub fn line_of(&self, file: &str, pointer: &str) -> Option<usize> {
        self.lines.get(file)?.line_of(pointer)
    }
}

/// A finding for every key that `index` saw twice in one mapping. The file is still checked:
/// the loader keeps the last value, which is the one the other rules see.
fn duplicate_keys<'a>(file: &'a str, index: &'a LineIndex) -> impl Iterator<Item = Finding> + 'a {
    index.duplicates().iter().map(move |duplicate| Finding {
        file: file.to_owned(),
        pointer: format!("{}/{}", duplicate.mapping, escape_pointer(&duplicate.key)),
        line: Some(duplicate.line),
        rule: Rule::DuplicateKey,
        message: format!(
            "`{}` is written again here after line {}: only this value is kept, the first is \
             dropped without a word; merge the two",
            duplicate.key, duplicate.first_line
        ),
    })
}

/// A finding for every YAML merge key (`<<: *base`): serde_yaml does not apply them, so the
/// members the key would bring in are missing and a member named `<<` is there instead.
fn merge_keys<'a>(file: &'a str, index: &'a LineIndex) -> impl Iterator<Item = Finding> + 'a {
    index.merge_keys().iter().map(move |merge| Finding {
        file: file.to_owned(),
        pointer: merge.pointer.clone(),
        line: Some(merge.line),
        rule: Rule::MergeKey,
        message: "a YAML merge key (`<<`): the spec loader does not apply merge keys, so the \
                  members it should bring in are missing and a member named `<<` is read \
                  instead; write the members out, or use a `$ref`"
            .to_owned(),
    })
}

/// serde_yaml's line for a file that yaml-rust2 reads but serde_yaml refuses (a duplicate key).
fn serde_yaml_line(source: &str) -> Option<usize> {
    serde_yaml::from_str::<serde_yaml::Value>(source)
        .err()?
        .location()
        .map(|location| location.line())
}
