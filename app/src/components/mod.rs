//! Reusable pieces of the pages.

pub mod brand;
pub mod editor;
pub mod status;
