//! `$ref` resolution across the files of a spec folder, keeping where every node is written.
//!
//! The rules look at the documents as the maintainer wrote them, not at a bundle, so that a
//! finding names the file and pointer to edit: a closed enum in `common.yaml` is reported once,
//! in `common.yaml`, however many domains reach it.

use ingrid_openapi::unescape_pointer;
use serde_json::Value;

use super::folder::SpecFolder;

/// A node of one spec file.
#[derive(Debug, Clone)]
pub struct Node<'a> {
    pub file: &'a str,
    pub pointer: String,
    pub value: &'a Value,
}

impl<'a> Node<'a> {
    /// The member `key` of this node, if it is an object that has it.
    pub fn child(&self, key: &str) -> Option<Node<'a>> {
        let value = self.value.get(key)?;
        Some(Node {
            file: self.file,
            pointer: format!("{}/{}", self.pointer, ingrid_openapi::escape_pointer(key)),
            value,
        })
    }

    /// The item `index` of this node, if it is an array that long.
    pub fn item(&self, index: usize) -> Option<Node<'a>> {
        let value = self.value.get(index)?;
        Some(Node {
            file: self.file,
            pointer: format!("{}/{index}", self.pointer),
            value,
        })
    }

    /// Every member of this node if it is an object, in key order.
    pub fn members(&self) -> Vec<(&'a str, Node<'a>)> {
        let file = self.file;
        let pointer = &self.pointer;
        self.value
            .as_object()
            .into_iter()
            .flatten()
            .map(|(key, value)| {
                let child = Node {
                    file,
                    pointer: format!("{pointer}/{}", ingrid_openapi::escape_pointer(key)),
                    value,
                };
                (key.as_str(), child)
            })
            .collect()
    }

    /// Every item of this node if it is an array.
    pub fn items(&self) -> Vec<Node<'a>> {
        let count = self.value.as_array().map_or(0, Vec::len);
        (0..count).filter_map(|index| self.item(index)).collect()
    }

    /// The `$ref` of this node, if it is a reference.
    pub fn reference(&self) -> Option<&'a str> {
        self.value.get("$ref").and_then(Value::as_str)
    }
}

/// Why a `$ref` does not lead anywhere.
#[derive(Debug, PartialEq, Eq)]
pub enum Unresolved {
    /// A reference into a file that exists but could not be read; that file has its own
    /// finding, so this one is not reported.
    UnreadableFile,
    /// Anything else, explained for the maintainer.
    Problem(String),
}

/// Follows references between the documents of one folder.
#[derive(Debug, Clone, Copy)]
pub struct Resolver<'a> {
    folder: &'a SpecFolder,
}

impl<'a> Resolver<'a> {
    pub fn new(folder: &'a SpecFolder) -> Self {
        Self { folder }
    }

    /// The names of the readable files, in order.
    pub fn files(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.folder.documents.keys().map(String::as_str)
    }

    /// Every component of every readable file (`/components/<kind>/<name>`), with its kind
    /// and name, in file and key order.
    pub fn components(&self) -> Vec<(&'a str, &'a str, Node<'a>)> {
        self.files()
            .filter_map(|file| self.root(file)?.child("components"))
            .flat_map(|components| components.members())
            .flat_map(|(kind, entries)| {
                entries
                    .members()
                    .into_iter()
                    .map(move |(name, component)| (kind, name, component))
            })
            .collect()
    }

    /// Whether a file of the folder could not be read.
    pub fn has_unreadable_files(&self) -> bool {
        !self.folder.unreadable.is_empty()
    }

    /// The root of `file`.
    pub fn root(&self, file: &'a str) -> Option<Node<'a>> {
        let value = self.folder.value(file)?;
        Some(Node {
            file,
            pointer: String::new(),
            value,
        })
    }

    /// The node `reference` names, written in `file`. The reference must have the shape the
    /// bundler accepts: `[file]#/components/<kind>/<name>`.
    pub fn target(&self, file: &'a str, reference: &str) -> Result<Node<'a>, Unresolved> {
        let Some((target_file, fragment)) = reference.split_once('#') else {
            return Err(Unresolved::Problem(format!(
                "reference `{reference}` has no `#/components/...` fragment"
            )));
        };
        let target_file = match target_file.trim_start_matches("./") {
            "" => file,
            other => other,
        };

        let Some((name, value)) = self.folder.documents.get_key_value(target_file) else {
            if self.folder.is_unreadable(target_file) {
                return Err(Unresolved::UnreadableFile);
            }
            return Err(Unresolved::Problem(format!(
                "reference `{reference}`: there is no spec file `{target_file}` beside this one"
            )));
        };
        let segments: Vec<&str> = fragment.trim_start_matches('/').split('/').collect();
        if segments.len() != 3 || segments[0] != "components" || !fragment.starts_with('/') {
            return Err(Unresolved::Problem(format!(
                "reference `{reference}` must point at `#/components/<kind>/<name>`, the only \
                 form the bundler copies between files"
            )));
        }
        match value.value.pointer(fragment) {
            Some(value) => Ok(Node {
                file: name.as_str(),
                pointer: fragment.to_owned(),
                value,
            }),
            None => Err(Unresolved::Problem(format!(
                "reference `{reference}` does not resolve: `{target_file}` has no {} `{}`",
                kind_singular(segments[1]),
                unescape_pointer(segments[2])
            ))),
        }
    }

    /// `node` itself, or what its chain of references ends at; `None` if a reference in the
    /// chain does not resolve (that is reported by the reference rule) or loops.
    pub fn follow(&self, node: Node<'a>) -> Option<Node<'a>> {
        const MAX_HOPS: usize = 32;

        let mut current = node;
        for _ in 0..MAX_HOPS {
            let Some(reference) = current.reference() else {
                return Some(current);
            };
            current = self.target(current.file, reference).ok()?;
        }
        None
    }
}

fn kind_singular(kind: &str) -> &str {
    match kind {
        "schemas" => "schema",
        "parameters" => "parameter",
        "responses" => "response",
        "headers" => "header",
        "examples" => "example",
        "requestBodies" => "request body",
        "securitySchemes" => "security scheme",
        "links" => "link",
        "callbacks" => "callback",
        other => other,
    }
}
