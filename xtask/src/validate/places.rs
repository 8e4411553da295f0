//! Where a spec file writes its parameters, media types, headers and schemas.
//!
//! Rules that judge how something is written (names, descriptions, examples) visit each of
//! these in the file that contains it, without following references, so that every node is
//! judged once and reported where it is.

use std::collections::HashSet;

use super::refs::{Node, Resolver};

/// The lower-case HTTP methods an OpenAPI path item can hold.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The objects of one document that are written in place (not `$ref`s to elsewhere).
#[derive(Debug, Default)]
pub struct Places<'a> {
    /// Parameter objects.
    pub parameters: Vec<Node<'a>>,
    /// Media type objects: the members of every `content`.
    pub media_types: Vec<Node<'a>>,
    /// Header objects.
    pub headers: Vec<Node<'a>>,
    /// Every schema that starts outside another schema: named ones and the `schema` of the
    /// objects above.
    pub schemas: Vec<Node<'a>>,
}

impl<'a> Places<'a> {
    /// Finds every place of the document `root`.
    pub fn of(root: &Node<'a>) -> Self {
        let mut places = Places::default();

        if let Some(components) = root.child("components") {
            for (_, schema) in components
                .child("schemas")
                .map(|n| n.members())
                .unwrap_or_default()
            {
                places.schemas.push(schema);
            }
            for (_, parameter) in children(&components, "parameters") {
                places.add_parameter(parameter);
            }
            for (_, header) in children(&components, "headers") {
                places.add_header(header);
            }
            for (_, response) in children(&components, "responses") {
                places.add_response(response);
            }
            for (_, body) in children(&components, "requestBodies") {
                places.add_content(&body);
            }
        }

        for (_, path_item) in root.child("paths").map(|n| n.members()).unwrap_or_default() {
            for parameter in path_item
                .child("parameters")
                .map(|n| n.items())
                .unwrap_or_default()
            {
                places.add_parameter(parameter);
            }
            for method in METHODS {
                let Some(operation) = path_item.child(method) else {
                    continue;
                };
                for parameter in operation
                    .child("parameters")
                    .map(|n| n.items())
                    .unwrap_or_default()
                {
                    places.add_parameter(parameter);
                }
                if let Some(body) = operation.child("requestBody") {
                    places.add_content(&body);
                }
                for (_, response) in children(&operation, "responses") {
                    places.add_response(response);
                }
            }
        }
        places
    }

    fn add_parameter(&mut self, parameter: Node<'a>) {
        if parameter.reference().is_some() {
            return;
        }
        self.schemas.extend(parameter.child("schema"));
        self.add_content(&parameter);
        self.parameters.push(parameter);
    }

    fn add_header(&mut self, header: Node<'a>) {
        if header.reference().is_some() {
            return;
        }
        self.schemas.extend(header.child("schema"));
        self.headers.push(header);
    }

    fn add_response(&mut self, response: Node<'a>) {
        if response.reference().is_some() {
            return;
        }
        for (_, header) in children(&response, "headers") {
            self.add_header(header);
        }
        self.add_content(&response);
    }

    fn add_content(&mut self, owner: &Node<'a>) {
        if owner.reference().is_some() {
            return;
        }
        for (_, media_type) in children(owner, "content") {
            self.schemas.extend(media_type.child("schema"));
            self.media_types.push(media_type);
        }
    }
}

fn children<'a>(node: &Node<'a>, key: &str) -> Vec<(&'a str, Node<'a>)> {
    node.child(key)
        .map(|child| child.members())
        .unwrap_or_default()
}

/// The schemas written inside `schema` itself: properties, items, `additionalProperties`, the
/// members of `allOf`, `anyOf` and `oneOf`, and `not`.
pub fn subschemas<'a>(schema: &Node<'a>) -> Vec<Node<'a>> {
    let mut nested = Vec::new();
    for (_, property) in children(schema, "properties") {
        nested.push(property);
    }
    nested.extend(schema.child("items"));
    if let Some(additional) = schema.child("additionalProperties")
        && additional.value.is_object()
    {
        nested.push(additional);
    }
    for combinator in ["allOf", "anyOf", "oneOf"] {
        nested.extend(
            schema
                .child(combinator)
                .map(|n| n.items())
                .unwrap_or_default(),
        );
    }
    nested.extend(schema.child("not"));
    nested
}

/// Calls `visit` on `schema` and every schema written inside it, without following `$ref`s.
pub fn walk_in_place<'a>(schema: &Node<'a>, visit: &mut dyn FnMut(&Node<'a>)) {
    visit(schema);
    for nested in subschemas(schema) {
        walk_in_place(&nested, visit);
    }
}

/// Calls `visit` once on every schema reachable from `schema`, following `$ref`s into any file;
/// `seen` holds the `(file, pointer)` of the schemas visited so far, across calls.
pub fn walk_following<'a>(
    resolver: &Resolver<'a>,
    schema: &Node<'a>,
    seen: &mut HashSet<(String, String)>,
    visit: &mut dyn FnMut(&Node<'a>),
) {
    let Some(schema) = resolver.follow(schema.clone()) else {
        return;
    };
    if !seen.insert((schema.file.to_owned(), schema.pointer.clone())) {
        return;
    }
    visit(&schema);
    for nested in subschemas(&schema) {
        walk_following(resolver, &nested, seen, visit);
    }
}

/// An operation as written in a document.
#[derive(Debug, Clone)]
pub struct OperationNode<'a> {
    /// The path template (`/v1/allocations/daily-allocations`).
    pub path: &'a str,
    /// The lower-case HTTP method.
    pub method: &'static str,
    /// The operation object.
    pub node: Node<'a>,
    /// The path item that holds it, whose parameters apply too.
    pub path_item: Node<'a>,
}

impl<'a> OperationNode<'a> {
    /// Every operation of the document `root`, in path order.
    pub fn all_in(root: &Node<'a>) -> Vec<Self> {
        let mut found = Vec::new();
        for (path, path_item) in root.child("paths").map(|n| n.members()).unwrap_or_default() {
            for method in METHODS {
                if let Some(node) = path_item.child(method) {
                    found.push(OperationNode {
                        path,
                        method,
                        node,
                        path_item: path_item.clone(),
                    });
                }
            }
        }
        found
    }

    /// The operationId, if it has one.
    pub fn operation_id(&self) -> Option<&'a str> {
        self.node.value.get("operationId")?.as_str()
    }

    /// How messages name the operation: `getDailyAllocations` or `GET /v1/x/y`.
    pub fn label(&self) -> String {
        match self.operation_id() {
            Some(id) => id.to_owned(),
            None => format!("{} {}", self.method.to_uppercase(), self.path),
        }
    }

    /// The parameters that apply, each resolved to its definition: the path item's, then the
    /// operation's. Parameters whose reference does not resolve are left out.
    pub fn parameters(&self, resolver: &Resolver<'a>) -> Vec<Node<'a>> {
        [&self.path_item, &self.node]
            .into_iter()
            .filter_map(|owner| owner.child("parameters"))
            .flat_map(|list| list.items())
            .filter_map(|parameter| resolver.follow(parameter))
            .collect()
    }

    /// The responses by status as written (a `$ref` stays a `$ref`), in status order.
    pub fn responses(&self) -> Vec<(&'a str, Node<'a>)> {
        self.node
            .child("responses")
            .map(|responses| responses.members())
            .unwrap_or_default()
    }
}
