//! Components that no operation reaches, directly or through other components: left over
//! from an edit, they make the spec say more than the API does.

use std::collections::BTreeSet;

use ingrid_openapi::escape_pointer;

use super::document::references_in;
use super::places::OperationNode;
use super::refs::{Node, Resolver};
use super::{Findings, Rule};

/// Reports every component of every file that the operations of the folder do not reach.
pub fn check(resolver: &Resolver<'_>, findings: &mut Findings) {
    // What an unreadable file references is unknown: every component could look unused.
    if resolver.has_unreadable_files() {
        return;
    }
    let reached = reached_components(resolver);

    for (kind, name, component) in resolver.components() {
        let key = (component.file.to_owned(), component.pointer.clone());
        if !reached.contains(&key) {
            findings.at(
                &component,
                Rule::UnusedComponent,
                format!(
                    "{kind} `{name}` is used by no operation, directly or through other \
                     components; remove it or reference it"
                ),
            );
        }
    }
}

/// `(file, pointer)` of every component reached from an operation of any file.
fn reached_components(resolver: &Resolver<'_>) -> BTreeSet<(String, String)> {
    let mut reached = BTreeSet::new();
    let mut pending: Vec<Node<'_>> = Vec::new();

    for file in resolver.files() {
        let Some(root) = resolver.root(file) else {
            continue;
        };
        let operations = OperationNode::all_in(&root);
        if operations.is_empty() {
            continue;
        }
        pending.extend(root.child("paths"));

        // Security schemes are named by requirements, not referenced.
        let requirements = root
            .child("security")
            .into_iter()
            .chain(operations.iter().filter_map(|op| op.node.child("security")));
        for requirement in requirements.flat_map(|list| list.items()) {
            for (scheme, _) in requirement.members() {
                let pointer = format!("/components/securitySchemes/{}", escape_pointer(scheme));
                if let Some(component) = root.value.pointer(&pointer) {
                    pending.push(Node {
                        file,
                        pointer,
                        value: component,
                    });
                }
            }
        }
    }

    while let Some(node) = pending.pop() {
        if is_component(&node.pointer)
            && !reached.insert((node.file.to_owned(), node.pointer.clone()))
        {
            continue;
        }
        for (_, reference) in references_in(&node) {
            if let Ok(target) = resolver.target(node.file, reference) {
                pending.push(target);
            }
        }
    }
    reached
}

/// Whether `pointer` is `/components/<kind>/<name>`.
fn is_component(pointer: &str) -> bool {
    pointer
        .strip_prefix("/components/")
        .is_some_and(|rest| rest.split('/').count() == 2)
}
