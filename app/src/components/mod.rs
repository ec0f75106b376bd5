//! Reusable pieces of the pages.

pub mod brand;
pub mod editor;
pub mod presence_bar;
pub mod status;
