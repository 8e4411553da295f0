//! Line numbers for JSON pointers into a YAML spec.
//!
//! serde_yaml, which the spec loader uses, forgets where a value was written. yaml-rust2's
//! event parser reports a position for every node, so one pass over a file's events gives the
//! line of every JSON pointer in it, and a finding can say `spec/allocations.yaml:120`.
//!
//! The same pass notices a key written twice in one mapping, which serde_yaml accepts when it
//! loads into a `serde_json::Value`: the last value wins and the first vanishes without a word.

use std::collections::HashMap;

use ingrid_openapi::escape_pointer;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Where each node of one YAML document starts.
#[derive(Debug, Default)]
pub struct LineIndex {
    /// 1-based line of every JSON pointer; for a mapping entry, the line of its key.
    lines: HashMap<String, usize>,
    /// Every second (third, ...) occurrence of a key, in the order of the file.
    duplicates: Vec<DuplicateKey>,
    /// Every merge key (`<<`), in the order of the file.
    merge_keys: Vec<MergeKey>,
}

/// A YAML merge key (`<<: *base`), which the spec loader does not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeKey {
    /// JSON pointer of the member it makes (`/components/schemas/Row/<<`).
    pub pointer: String,
    /// 1-based line of the key.
    pub line: usize,
}

/// A key written again in a mapping that already has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// JSON pointer of the mapping.
    pub mapping: String,
    pub key: String,
    /// 1-based line where the key was first written: the value the loader drops.
    pub first_line: usize,
    /// 1-based line of this later occurrence, whose value the loader keeps.
    pub line: usize,
}

/// A file that is not valid YAML: the line yaml-rust2 stopped at. (The message shown is
/// serde_yaml's, the parser the specs are loaded with.)
#[derive(Debug)]
pub struct SyntaxError {
    pub line: usize,
}

impl LineIndex {
    /// Reads the first document of `source`.
    pub fn parse(source: &str) -> Result<Self, SyntaxError> {
        let mut builder = Builder::default();
        Parser::new_from_str(source)
            .load(&mut builder, false)
            .map_err(|error| SyntaxError {
                line: error.marker().line(),
            })?;
        Ok(Self {
            lines: builder.lines,
            duplicates: builder.duplicates,
            merge_keys: builder.merge_keys,
        })
    }

    /// The keys written more than once in one mapping.
    pub fn duplicates(&self) -> &[DuplicateKey] {
        &self.duplicates
    }

    /// The merge keys of the file.
    pub fn merge_keys(&self) -> &[MergeKey] {
        &self.merge_keys
    }

    /// The line of `pointer`, or of its nearest ancestor that the file contains (a finding
    /// about a missing member points at the object that should have it).
    pub fn line_of(&self, pointer: &str) -> Option<usize> {
        let mut pointer = pointer;
        loop {
            if let Some(line) = self.lines.get(pointer) {
                return Some(*line);
            }
            let (parent, _) = pointer.rsplit_once('/')?;
            pointer = parent;
        }
    }
}

/// The collection being read, and where the next node of it goes.
#[derive(Debug)]
enum Frame {
    Mapping {
        pointer: String,
        /// The key just read, whose value comes next; `None` while a key is expected.
        key: Option<String>,
        /// The line of every key read so far, to notice one written again.
        seen: HashMap<String, usize>,
    },
    Sequence {
        pointer: String,
        next_index: usize,
    },
}

#[derive(Debug, Default)]
struct Builder {
    lines: HashMap<String, usize>,
    duplicates: Vec<DuplicateKey>,
    merge_keys: Vec<MergeKey>,
    stack: Vec<Frame>,
    /// Set once the first document is complete; later documents are ignored.
    done: bool,
}

impl Builder {
    /// The pointer of the node that starts now, or `None` when it is a mapping key.
    fn next_pointer(&self) -> Option<String> {
        match self.stack.last() {
            None => Some(String::new()),
            Some(Frame::Mapping { key: None, .. }) => None,
            Some(Frame::Mapping {
                pointer,
                key: Some(key),
                ..
            }) => Some(format!("{pointer}/{}", escape_pointer(key))),
            Some(Frame::Sequence {
                pointer,
                next_index,
            }) => Some(format!("{pointer}/{next_index}")),
        }
    }

    /// Moves the enclosing collection past the node that just ended.
    fn node_done(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Mapping { key, .. }) => *key = None,
            Some(Frame::Sequence { next_index, .. }) => *next_index += 1,
            None => self.done = true,
        }
    }

    /// Records where `pointer` starts, unless its key already said so.
    fn record(&mut self, pointer: &str, mark: Marker) {
        self.lines.entry(pointer.to_owned()).or_insert(mark.line());
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.done {
            return;
        }
        match event {
            Event::Scalar(value, style, ..) => match self.next_pointer() {
                None => {
                    // A mapping key: its value's pointer is known from now on.
                    if let Some(Frame::Mapping { pointer, key, seen }) = self.stack.last_mut() {
                        let entry = format!("{pointer}/{}", escape_pointer(&value));
                        // Quoted, `'<<'` is an ordinary key.
                        if value == "<<" && style == TScalarStyle::Plain {
                            self.merge_keys.push(MergeKey {
                                pointer: entry.clone(),
                                line: mark.line(),
                            });
                        }
                        if let Some(first_line) = seen.get(&value) {
                            self.duplicates.push(DuplicateKey {
                                mapping: pointer.clone(),
                                key: value.clone(),
                                first_line: *first_line,
                                line: mark.line(),
                            });
                            // serde_yaml keeps the last value: forget the lines of the first.
                            let nested = format!("{entry}/");
                            self.lines.retain(|known, _| !known.starts_with(&nested));
                        } else {
                            seen.insert(value.clone(), mark.line());
                        }
                        *key = Some(value);
                        self.lines.insert(entry, mark.line());
                    }
                }
                Some(pointer) => {
                    self.record(&pointer, mark);
                    self.node_done();
                }
            },
            Event::Alias(_) => {
                if let Some(pointer) = self.next_pointer() {
                    self.record(&pointer, mark);
                }
                self.node_done();
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                // A collection used as a mapping key has no JSON pointer; `?` stands for it.
                let pointer = self.next_pointer().unwrap_or_else(|| "?".to_owned());
                self.record(&pointer, mark);
                self.stack
                    .push(if matches!(event, Event::MappingStart(..)) {
                        Frame::Mapping {
                            pointer,
                            key: None,
                            seen: HashMap::new(),
                        }
                    } else {
                        Frame::Sequence {
                            pointer,
                            next_index: 0,
                        }
                    });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.node_done();
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "\
openapi: 3.0.3
paths:
  /v1/a/b:
    get:
      parameters:
        - $ref: 'common.yaml#/components/parameters/ContractCode'
        - name: size
          in: query
      responses: {'200': {description: ok}}
";

    #[test]
    fn every_pointer_has_the_line_of_its_key_or_item() {
        let index = LineIndex::parse(SPEC).unwrap();

        assert_eq!(index.line_of("/openapi"), Some(1));
        assert_eq!(index.line_of("/paths/~1v1~1a~1b/get"), Some(4));
        assert_eq!(
            index.line_of("/paths/~1v1~1a~1b/get/parameters/0/$ref"),
            Some(6)
        );
        assert_eq!(index.line_of("/paths/~1v1~1a~1b/get/parameters/1"), Some(7));
        assert_eq!(
            index.line_of("/paths/~1v1~1a~1b/get/parameters/1/in"),
            Some(8)
        );
        assert_eq!(
            index.line_of("/paths/~1v1~1a~1b/get/responses/200/description"),
            Some(9)
        );
    }

    #[test]
    fn a_missing_member_gets_the_line_of_its_nearest_ancestor() {
        let index = LineIndex::parse(SPEC).unwrap();

        assert_eq!(
            index.line_of("/paths/~1v1~1a~1b/get/responses/404"),
            Some(9)
        );
        assert_eq!(index.line_of("/paths/~1v1~1a~1b/get/operationId"), Some(4));
    }

    #[test]
    fn a_syntax_error_has_its_line() {
        let error = LineIndex::parse("openapi: 3.0.3\npaths:\n  a: [1, 2\nb: c\n").unwrap_err();

        assert!(error.line >= 3, "{error:?}");
    }

    #[test]
    fn a_key_written_twice_is_a_duplicate_at_its_second_line() {
        let source = "paths:\n  /a:\n    get: {}\n  /b: {}\n  /a:\n    get: {}\n    post: {}\n";

        let index = LineIndex::parse(source).unwrap();

        assert_eq!(
            index.duplicates(),
            [DuplicateKey {
                mapping: "/paths".to_owned(),
                key: "/a".to_owned(),
                first_line: 2,
                line: 5,
            }]
        );
        // The loader keeps the last `/a`: its members have the lines of that one.
        assert_eq!(index.line_of("/paths/~1a"), Some(5));
        assert_eq!(index.line_of("/paths/~1a/get"), Some(6));
        assert_eq!(index.line_of("/paths/~1a/post"), Some(7));
    }

    #[test]
    fn equal_keys_of_different_mappings_are_not_duplicates() {
        let source = "a: {type: string}\nb: {type: string}\nc: [{x: 1}, {x: 2}]\n";

        let index = LineIndex::parse(source).unwrap();

        assert_eq!(index.duplicates(), []);
    }
}
