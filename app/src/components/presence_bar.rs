//! The presence bar: who is in the document right now, as coloured initials
//! (name on hover), you first and marked, a "+N" chip when there are more
//! than fit, and who is typing.

use leptos::prelude::*;

use crate::api::Identity;
use crate::collab::presence::PeerView;

/// Avatars shown before the rest collapse into "+N".
const SHOWN: usize = 5;

pub fn initial(name: &str) -> String {
    name.chars().find(|c| c.is_alphanumeric()).map(|c| c.to_uppercase().to_string()).unwrap_or_else(|| "?".into())
}

/// "Ada is typing…", "Ada and Bob are typing…", "3 people are typing…".
pub fn typing_line(names: &[&str]) -> Option<String> {
    match names {
        [] => None,
        [one] => Some(format!("{one} is typing…")),
        [a, b] => Some(format!("{a} and {b} are typing…")),
        more => Some(format!("{} people are typing…", more.len())),
    }
}

#[component]
pub fn PresenceBar(me: Identity, peers: ReadSignal<Vec<PeerView>>) -> impl IntoView {
    // One avatar per person: two tabs of the same guest are one person here
    // (each still has its own caret in the text).
    let people = Memo::new(move |_| {
        let mut people: Vec<PeerView> = Vec::new();
        for peer in peers.get() {
            match people.iter_mut().find(|p| p.name == peer.name && p.color == peer.color) {
                Some(same) => same.typing |= peer.typing,
                None => people.push(peer),
            }
        }
        people
    });
    let shown = move || people.get().into_iter().take(SHOWN).collect::<Vec<_>>();
    let hidden = move || people.get().into_iter().skip(SHOWN).collect::<Vec<_>>();
    let typing = move || {
        let people = people.get();
        let names: Vec<&str> = people.iter().filter(|p| p.typing).map(|p| p.name.as_str()).collect();
        typing_line(&names)
    };
    let hidden_names = move || hidden().iter().map(|p| p.name.clone()).collect::<Vec<_>>().join(", ");
    let count = move || people.get().len() + 1;
    let me_title = format!("{} (you)", me.name);
    view! {
        <div class="presence" data-testid="presence" aria-label="People in this document">
            <span class="typing" data-testid="typing" aria-live="polite">{typing}</span>
            <ul class="avatars">
                <li class="avatar me" style:background-color=me.color.clone() title=me_title.clone()
                    data-testid="avatar" data-name=me.name.clone()>
                    <span aria-hidden="true">{initial(&me.name)}</span>
                    <span class="visually-hidden">{me_title.clone()}</span>
                    <span class="you" aria-hidden="true">"you"</span>
                </li>
                // At most a handful of avatars: simply re-rendered on change.
                {move || shown().into_iter().map(|peer| view! {
                    <li class="avatar" class:is-typing=peer.typing style:background-color=peer.color.clone()
                        title=peer.name.clone() data-testid="avatar" data-name=peer.name.clone()>
                        <span aria-hidden="true">{initial(&peer.name)}</span>
                        <span class="visually-hidden">{peer.name.clone()}</span>
                    </li>
                }).collect_view()}
                <Show when=move || !hidden().is_empty()>
                    <li class="avatar more" data-testid="more"
                        title=hidden_names>
                        {move || format!("+{}", hidden().len())}
                    </li>
                </Show>
            </ul>
            <span class="count" data-testid="count">{move || match count() { 1 => "Only you".to_string(), n => format!("{n} here") }}</span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_line_reads_naturally() {
        assert_eq!(typing_line(&[]), None);
        assert_eq!(typing_line(&["Ada"]).unwrap(), "Ada is typing…");
        assert_eq!(typing_line(&["Ada", "Bob"]).unwrap(), "Ada and Bob are typing…");
        assert_eq!(typing_line(&["A", "B", "C"]).unwrap(), "3 people are typing…");
        assert_eq!(initial("  ada lovelace"), "A");
    }
}
