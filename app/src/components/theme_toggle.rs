//! The theme button in the top bar: follows the system until a person picks
//! light or dark; each press moves on (system → light → dark → system).

use leptos::prelude::*;

use crate::prefs::Theme;

fn describe(theme: Theme) -> &'static str {
    match theme {
        Theme::System => "Theme: follows the system (press for light)",
        Theme::Light => "Theme: light (press for dark)",
        Theme::Dark => "Theme: dark (press to follow the system)",
    }
}

/// The strokes of each theme's 24×24 icon: a screen, a sun, a moon.
const ICONS: [(Theme, &[&str]); 3] = [
    (Theme::System, &["M3 4h18v12H3z", "M8 20h8", "M12 16v4"]),
    (
        Theme::Light,
        &[
            "M12 8a4 4 0 1 0 0 8 4 4 0 1 0 0-8",
            "M12 2v2",
            "M12 20v2",
            "m4.9 4.9 1.4 1.4",
            "m17.7 17.7 1.4 1.4",
            "M2 12h2",
            "M20 12h2",
            "m4.9 19.1 1.4-1.4",
            "m17.7 6.3 1.4-1.4",
        ],
    ),
    (Theme::Dark, &["M12 3a6 6 0 0 0 9 9 9 9 0 1 1-9-9Z"]),
];

#[component]
pub fn ThemeToggle() -> impl IntoView {
    // The server cannot know the stored choice: it renders "system", and the
    // browser shows the real one once the page is live (the colours are right
    // from the first paint either way: see `prefs::HEAD_SCRIPT`).
    let theme = RwSignal::new(Theme::System);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| theme.set(crate::prefs::theme()));
    let press = move |_| {
        let next = theme.get_untracked().next();
        theme.set(next);
        #[cfg(feature = "hydrate")]
        crate::prefs::set_theme(next);
    };
    view! {
        <button type="button" class="tool icon theme-toggle" data-testid="theme"
            data-theme=move || theme.get().name()
            title=move || describe(theme.get()) aria-label=move || describe(theme.get()) on:click=press>
            {ICONS.iter().map(|(shown, strokes)| {
                let shown = *shown;
                view! {
                    <svg viewBox="0 0 24 24" aria-hidden="true" class:hidden-icon=move || theme.get() != shown>
                        {strokes.iter().map(|d| view! { <path d=*d/> }).collect_view()}
                    </svg>
                }
            }).collect_view()}
        </button>
    }
}
