//! Schemas that are made of each other with nothing in between: `Loop: {allOf: [$ref: Loop]}`,
//! or `LoopA: {$ref: LoopB}` beside `LoopB: {$ref: LoopA}`.
//!
//! Such a schema has no finite form: merging its `allOf` never ends, and the Rust type made of
//! it would contain itself, so decoding one would recurse until the stack overflows. A type may
//! refer to itself through a property or an array item (a tree of points), because a value
//! then has to nest to go on; only `$ref`s and the members of `allOf`, `anyOf` and `oneOf`,
//! which add no such layer, close a cycle here.

use std::collections::BTreeMap;

use super::refs::{Node, Resolver};
use super::{Findings, Rule};

/// Reports one finding per cycle, at the `$ref` that closes it.
pub fn check(resolver: &Resolver<'_>, findings: &mut Findings) {
    let mut search = Search {
        resolver,
        states: BTreeMap::new(),
        path: Vec::new(),
        findings,
    };

    for (_, _, component) in resolver.components() {
        search.visit(component);
    }
}

/// Where the depth-first search stands with a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// On the path being explored: reaching it again closes a cycle.
    OnPath,
    /// Explored with everything it reaches.
    Done,
}

/// A depth-first search over the edges that add no layer.
struct Search<'r, 'a, 'f> {
    resolver: &'r Resolver<'a>,
    /// Keyed by `(file, pointer)`.
    states: BTreeMap<(&'a str, String), State>,
    /// The nodes from the start of the search to the one being explored.
    path: Vec<Node<'a>>,
    findings: &'f mut Findings,
}

impl<'a> Search<'_, 'a, '_> {
    fn visit(&mut self, node: Node<'a>) {
        let key = (node.file, node.pointer.clone());
        if self.states.contains_key(&key) {
            return;
        }
        self.states.insert(key.clone(), State::OnPath);
        self.path.push(node.clone());

        for (via, next) in self.edges(&node) {
            let next_key = (next.file, next.pointer.clone());
            match self.states.get(&next_key) {
                Some(State::OnPath) => self.report(&via, &next),
                Some(State::Done) => {}
                None => self.visit(next),
            }
        }

        self.path.pop();
        self.states.insert(key, State::Done);
    }

    /// The nodes `node` is made of directly, each with the node that leads there: its `$ref`,
    /// or a member of its `allOf`, `anyOf` or `oneOf`.
    fn edges(&self, node: &Node<'a>) -> Vec<(Node<'a>, Node<'a>)> {
        let mut members = vec![node.clone()];
        for combinator in ["allOf", "anyOf", "oneOf"] {
            members.extend(
                node.child(combinator)
                    .map(|n| n.items())
                    .unwrap_or_default(),
            );
        }

        let mut edges = Vec::new();
        for (index, member) in members.into_iter().enumerate() {
            match member.reference() {
                // A reference that does not resolve has a finding of its own.
                Some(reference) => {
                    if let Ok(target) = self.resolver.target(member.file, reference) {
                        edges.push((member, target));
                    }
                }
                // Written inline: the member is a node of its own (the node itself has no
                // `$ref` then, and is not its own edge).
                None if index > 0 => edges.push((member.clone(), member)),
                None => {}
            }
        }
        edges
    }

    /// A cycle from `start`, which is on the path, back to it through `via`.
    fn report(&mut self, via: &Node<'a>, start: &Node<'a>) {
        let from = self
            .path
            .iter()
            .position(|node| node.file == start.file && node.pointer == start.pointer)
            .unwrap_or(0);
        let mut chain: Vec<String> = self.path[from..]
            .iter()
            .filter(|node| is_component(&node.pointer))
            .map(|node| label(node, via.file))
            .collect();
        chain.push(label(start, via.file));

        let at = via.child("$ref").unwrap_or_else(|| via.clone());
        self.findings.at(
            &at,
            Rule::ReferenceCycle,
            format!(
                "{} is made of itself with no object property or array item between ({}): its \
                 Rust type would contain itself and decoding one would never end; put the \
                 recursion in a property or in `items`, or remove it",
                label(start, via.file),
                chain.join(" → ")
            ),
        );
    }
}

/// Whether `pointer` is `/components/<kind>/<name>`.
fn is_component(pointer: &str) -> bool {
    pointer
        .strip_prefix("/components/")
        .is_some_and(|rest| rest.split('/').count() == 2)
}

/// How a message names `node`: `Loop` for a component of `file`, `common.yaml#/...` otherwise.
fn label(node: &Node<'_>, file: &str) -> String {
    let name = match node.pointer.rsplit_once('/') {
        Some((_, name)) if is_component(&node.pointer) => {
            format!("`{}`", ingrid_openapi::unescape_pointer(name))
        }
        _ => format!("`{}`", node.pointer),
    };
    if node.file == file {
        name
    } else {
        format!("{name} of {}", node.file)
    }
}
