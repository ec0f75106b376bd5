//! The workloads (a–e of issue 7; f, the browser, is in `browser.rs`).

pub mod capacity;
pub mod coldload;
pub mod fanout;
pub mod saveack;
