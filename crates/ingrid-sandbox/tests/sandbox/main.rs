//! End-to-end tests of the sandbox over HTTP, against sandboxes started in-process on port 0.
//!
//! One test binary with modules, so that the workspace links one executable instead of one per
//! file.

mod data;
mod faults;
mod lifecycle;
mod requests;
mod schemas;
mod support;
mod token;
