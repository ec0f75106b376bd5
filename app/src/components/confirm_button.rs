//! A button for something that cannot be taken back at a click (removing a
//! person, revoking a link, trashing a document): the first press asks
//! ("Remove Ada?"), the second within a few seconds does it. Leaving the
//! button, or waiting, disarms it.

use leptos::prelude::*;

/// How long the question stays up.
const ARMED_MS: u64 = 8_000;

#[component]
pub fn ConfirmButton(
    /// What the button says at first.
    label: String,
    /// What it asks once pressed.
    question: String,
    on_confirm: Callback<()>,
    #[prop(optional)] class: &'static str,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    let armed = RwSignal::new(false);
    let press = move |_| {
        if armed.get_untracked() {
            armed.set(false);
            on_confirm.run(());
        } else {
            armed.set(true);
            set_timeout(move || armed.set(false), std::time::Duration::from_millis(ARMED_MS));
        }
    };
    view! {
        <button type="button" class=move || format!("button {class}{}", if armed.get() { " armed" } else { "" })
            data-testid=testid on:click=press on:blur=move |_| armed.set(false)>
            {move || if armed.get() { question.clone() } else { label.clone() }}
        </button>
    }
}
