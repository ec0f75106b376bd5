//! One module per route.

pub mod doc;
pub mod home;
pub mod not_found;
