//! People as others see them: a name and a colour, plus a private key that
//! tells two people with the same name apart. Signed-in people are their
//! username in a colour fixed by their account; everyone else is a guest with
//! a friendly random name chosen by the server and kept in their session, so
//! a tab and its reloads are always the same person.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use app::api::Identity;

use crate::store::Author;

/// Someone as remembered in a session and stamped on their presence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Distinguishes two people who share a name; never shown.
    pub key: String,
    pub identity: Identity,
}

// 64 × 64 names: two guests in one document rarely share one (1 in 4,096).
const ADJECTIVES: &[&str] = &[
    "Amber", "Brave", "Calm", "Clever", "Cosmic", "Curious", "Daring", "Eager", "Gentle", "Golden", "Happy", "Humble",
    "Jolly", "Keen", "Kind", "Lively", "Lucky", "Mellow", "Merry", "Nimble", "Noble", "Patient", "Plucky", "Quiet",
    "Quick", "Rapid", "Silver", "Sunny", "Swift", "Witty", "Agile", "Bold", "Bright", "Breezy", "Candid", "Cheery",
    "Crisp", "Dapper", "Dreamy", "Fearless", "Fluffy", "Frosty", "Gallant", "Glad", "Hearty", "Honest", "Jovial",
    "Lofty", "Loyal", "Misty", "Modest", "Nifty", "Peppy", "Polite", "Proud", "Rosy", "Serene", "Snappy", "Sturdy",
    "Tidy", "Vivid", "Warm", "Wise", "Zesty",
];

const ANIMALS: &[&str] = &[
    "Badger", "Beaver", "Crane", "Dolphin", "Falcon", "Ferret", "Finch", "Fox", "Gecko", "Heron", "Ibis", "Koala",
    "Lemur", "Lynx", "Marmot", "Narwhal", "Otter", "Owl", "Panda", "Puffin", "Quokka", "Raven", "Robin", "Seal",
    "Sparrow", "Stoat", "Tapir", "Walrus", "Wombat", "Yak", "Alpaca", "Bison", "Camel", "Cheetah", "Condor", "Coyote",
    "Deer", "Eagle", "Egret", "Elk", "Gazelle", "Goose", "Hare", "Hawk", "Hedgehog", "Jackal", "Jaguar", "Kestrel",
    "Kiwi", "Lark", "Magpie", "Mole", "Moose", "Newt", "Ocelot", "Pelican", "Penguin", "Pika", "Plover", "Salmon",
    "Swan", "Toucan", "Turtle", "Weasel",
];

/// Colours that keep white initials readable and stay distinct from each other.
pub const COLORS: &[&str] = &[
    "#e5484d", "#f76b15", "#d6409f", "#8e4ec6", "#3e63dd", "#0090ff", "#12a594", "#30a46c", "#ad7f58", "#6e56cf",
    "#e54666", "#0d74ce",
];

impl Person {
    /// A new guest with a random name and colour.
    pub fn random_guest() -> Self {
        let name = format!("{} {}", pick(ADJECTIVES), pick(ANIMALS));
        let color = pick(COLORS).to_string();
        Person { key: uuid::Uuid::new_v4().simple().to_string(), identity: Identity { name, color } }
    }

    /// A signed-in user: their username, in the same colour on every device.
    pub fn account(user_id: &str, username: &str) -> Self {
        let digest = Sha256::digest(user_id.as_bytes());
        let color = COLORS[digest[0] as usize % COLORS.len()].to_string();
        Person { key: format!("user:{user_id}"), identity: Identity { name: username.to_string(), color } }
    }
}

impl Person {
    /// How the update log records this person as the author of a write.
    pub fn author(&self) -> Author {
        Author { key: self.key.clone(), name: self.identity.name.clone(), color: self.identity.color.clone() }
    }
}

fn pick(list: &[&'static str]) -> &'static str {
    list[fastrand::usize(..list.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guests_get_a_two_word_name_a_known_colour_and_a_unique_key() {
        let a = Person::random_guest();
        let b = Person::random_guest();
        assert_eq!(a.identity.name.split(' ').count(), 2);
        assert!(COLORS.contains(&a.identity.color.as_str()));
        assert_ne!(a.key, b.key);
    }

    #[test]
    fn an_account_keeps_its_colour() {
        assert_eq!(Person::account("u1", "ada"), Person::account("u1", "ada"));
        assert_eq!(Person::account("u1", "ada").identity.name, "ada");
    }
}
