//! Guest identities: until accounts exist, every browser is a guest with a
//! friendly random name and a colour, chosen by the server and kept in its
//! session, so the same tab and its reloads are always the same person.

use serde::{Deserialize, Serialize};

use app::api::Identity;

/// A guest as remembered in a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guest {
    /// Distinguishes two guests who drew the same name; never shown.
    pub key: String,
    pub identity: Identity,
}

const ADJECTIVES: &[&str] = &[
    "Amber", "Brave", "Calm", "Clever", "Cosmic", "Curious", "Daring", "Eager", "Gentle", "Golden",
    "Happy", "Humble", "Jolly", "Keen", "Kind", "Lively", "Lucky", "Mellow", "Merry", "Nimble",
    "Noble", "Patient", "Plucky", "Quiet", "Quick", "Rapid", "Silver", "Sunny", "Swift", "Witty",
];

const ANIMALS: &[&str] = &[
    "Badger", "Beaver", "Crane", "Dolphin", "Falcon", "Ferret", "Finch", "Fox", "Gecko", "Heron",
    "Ibis", "Koala", "Lemur", "Lynx", "Marmot", "Narwhal", "Otter", "Owl", "Panda", "Puffin",
    "Quokka", "Raven", "Robin", "Seal", "Sparrow", "Stoat", "Tapir", "Walrus", "Wombat", "Yak",
];

/// Colours that keep white initials readable and stay distinct from each other.
pub const COLORS: &[&str] = &[
    "#e5484d", "#f76b15", "#d6409f", "#8e4ec6", "#3e63dd", "#0090ff",
    "#12a594", "#30a46c", "#ad7f58", "#6e56cf", "#e54666", "#0d74ce",
];

impl Guest {
    /// A new guest with a random name and colour.
    pub fn random() -> Self {
        let name = format!("{} {}", pick(ADJECTIVES), pick(ANIMALS));
        let color = pick(COLORS).to_string();
        Guest { key: uuid::Uuid::new_v4().simple().to_string(), identity: Identity { name, color } }
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
        let a = Guest::random();
        let b = Guest::random();
        assert_eq!(a.identity.name.split(' ').count(), 2);
        assert!(COLORS.contains(&a.identity.color.as_str()));
        assert_ne!(a.key, b.key);
    }
}
