//! The collaboration core shared by server and browser: document options, the
//! wire protocol, the connection's state machine, the document schema, edits between the editor and the text, presence states, undo history and save
//! bookkeeping, comparing and restoring versions. No I/O and no async runtime here, so plain `cargo test -p app`
//! covers all of it on the host.

pub mod compare;
pub mod connection;
pub mod doc;
pub mod edits;
pub mod history;
pub mod presence;
pub mod protocol;
pub mod saves;
pub mod schema;
