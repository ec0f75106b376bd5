//! Reusable pieces of the pages.

pub mod account_menu;
pub mod brand;
pub mod confirm_button;
pub mod copy_link;
pub mod editor;
pub mod format_toolbar;
pub mod history_panel;
pub mod modal;
pub mod presence_bar;
pub mod share_dialog;
pub mod status;
pub mod theme_toggle;
pub mod view_switch;
pub mod when;
