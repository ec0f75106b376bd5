//! One module per route.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod doc;
pub mod groups;
pub mod home;
pub mod link_invalid;
pub mod not_found;
pub mod settings;
pub mod trash;
