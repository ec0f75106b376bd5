//! The layout switch of the document page (source, split, preview) and the
//! line-number toggle. The layout itself is the stylesheet's doing, from the
//! attributes `prefs` keeps on `<html>`; these buttons change the choice and
//! show which one is in effect.

use leptos::prelude::*;

use crate::prefs::View;

/// The strokes of each layout's 24×24 icon.
fn icon(view: View) -> &'static [&'static str] {
    match view {
        View::Edit => &["M4 4h16v16H4z", "M8 9h8", "M8 13h8", "M8 17h5"],
        View::Split => &["M4 4h16v16H4z", "M12 4v16"],
        View::Preview => &["M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12z", "M12 9a3 3 0 1 0 0 6 3 3 0 1 0 0-6"],
    }
}

fn describe(view: View) -> &'static str {
    match view {
        View::Edit => "Show the Markdown source only",
        View::Split => "Show the source and the preview side by side",
        View::Preview => "Show the rendered document only",
    }
}

/// `read_only`: the person can only read this document (their layout choice
/// is kept apart from the one for documents they edit).
#[component]
pub fn ViewSwitch(read_only: Signal<bool>) -> impl IntoView {
    // What the server rendered for; the browser corrects it once live.
    let current = RwSignal::new(View::default_for(read_only.get_untracked(), false));
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| current.set(crate::prefs::view(read_only.get())));
    view! {
        <div class="segmented" role="group" aria-label="Layout" data-testid="layout">
            {View::ALL.map(|view| view! {
                <button type="button" class="segment" data-view=view.name() title=describe(view) aria-label=view.label()
                    aria-pressed=move || (current.get() == view).to_string()
                    on:click=move |_| {
                        current.set(view);
                        #[cfg(feature = "hydrate")]
                        crate::prefs::set_view(read_only.get_untracked(), view);
                    }>
                    <svg viewBox="0 0 24 24" aria-hidden="true">
                        {icon(view).iter().map(|d| view! { <path d=*d/> }).collect_view()}
                    </svg>
                    <span class="segment-label">{view.label()}</span>
                </button>
            }).collect_view()}
        </div>
    }
}

/// Line numbers in the source, on or off; `changed` gets the new state.
#[component]
pub fn LineNumbersToggle(changed: Callback<bool>) -> impl IntoView {
    let on = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| on.set(crate::prefs::line_numbers()));
    view! {
        <button type="button" class="tool icon" data-testid="line-numbers" title="Line numbers"
            aria-label="Line numbers" aria-pressed=move || on.get().to_string()
            on:click=move |_| {
                let value = !on.get_untracked();
                on.set(value);
                #[cfg(feature = "hydrate")]
                crate::prefs::set_line_numbers(value);
                changed.run(value);
            }>
            <svg viewBox="0 0 24 24" aria-hidden="true">
                <path d="M4 6h2v4"/><path d="M4 10h3"/><path d="M4 14h2.5a1 1 0 0 1 0 2H4.5a1 1 0 0 0 0 2H7"/>
                <path d="M11 7h9"/><path d="M11 12h9"/><path d="M11 17h9"/>
            </svg>
        </button>
    }
}
