//! One-off commands against the configured database, run instead of serving
//! (`quire admin promote NAME`): what an operator needs when nobody can use
//! the admin page.

use crate::config::{AdminCommand, Command, Config};
use crate::error::{Error, Result};
use crate::store::{AccountChange, Store};

pub async fn run(config: &Config, command: &Command) -> Result<()> {
    let store = Store::connect_pooled(&config.database_url, 2).await?;
    match command {
        Command::Admin(AdminCommand::Promote { name }) => {
            let name = app::api::normalize_username(name);
            if store.set_disabled(&name, false).await?.0 == AccountChange::NoSuchAccount {
                return Err(Error::BadRequest(format!("there is no account named {name:?}")));
            }
            store.set_admin(&name, true).await?;
            println!("{name} is an admin of this Quire now.");
        }
    }
    Ok(())
}
