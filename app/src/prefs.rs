//! How a person likes Quire to look: light or dark (or the system's choice),
//! how the document page is laid out (source, split, preview), line numbers.
//!
//! Kept on this device (`localStorage`, no account needed, so guests keep
//! theirs too) and applied to `<html>` as `data-*` attributes by
//! [`HEAD_SCRIPT`] before the first paint, so a page never flashes the wrong
//! theme or layout; the stylesheet reads those attributes. The layout is
//! remembered twice, once for documents the person can edit and once for
//! documents they can only read (where the preview is the default).

/// Light, dark, or whatever the system prefers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub fn name(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn parse(name: &str) -> Theme {
        match name {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::System,
        }
    }

    /// The next one a toggle offers.
    pub fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }
}

/// Which panes the document page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The Markdown source alone.
    Edit,
    /// Source and preview side by side (stacked on a phone).
    Split,
    /// The rendered document alone.
    Preview,
}

impl View {
    pub const ALL: [View; 3] = [View::Edit, View::Split, View::Preview];

    pub fn name(self) -> &'static str {
        match self {
            View::Edit => "edit",
            View::Split => "split",
            View::Preview => "preview",
        }
    }

    pub fn parse(name: &str) -> Option<View> {
        View::ALL.into_iter().find(|view| view.name() == name)
    }

    pub fn label(self) -> &'static str {
        match self {
            View::Edit => "Source",
            View::Split => "Split",
            View::Preview => "Preview",
        }
    }

    /// Without a choice: the preview for readers, split on a wide screen and
    /// the source alone on a narrow one for writers.
    pub fn default_for(read_only: bool, narrow: bool) -> View {
        match (read_only, narrow) {
            (true, _) => View::Preview,
            (false, true) => View::Edit,
            (false, false) => View::Split,
        }
    }
}

/// Storage keys, and the `<html>` attributes (`data-…`) that mirror them.
pub const THEME_KEY: &str = "quire.theme";
pub const VIEW_KEY: &str = "quire.view";
pub const READ_VIEW_KEY: &str = "quire.readView";
pub const LINE_NUMBERS_KEY: &str = "quire.lineNumbers";

/// The width below which the page counts as narrow (the stylesheet's
/// breakpoint for stacking the panes).
pub const NARROW_QUERY: &str = "(max-width: 820px)";

/// Runs in the head before anything is drawn: marks the page as scripted and
/// applies the stored choices. Only known values reach the attributes.
pub const HEAD_SCRIPT: &str = "(function(){var d=document.documentElement;d.classList.add('js');\
try{var s=window.localStorage,t=s.getItem('quire.theme'),v=s.getItem('quire.view'),r=s.getItem('quire.readView'),\
k=/^(edit|split|preview)$/;if(t==='light'||t==='dark')d.dataset.theme=t;if(k.test(v))d.dataset.view=v;\
if(k.test(r))d.dataset.readView=r;}catch(e){}})()";

#[cfg(feature = "hydrate")]
pub use browser::*;

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    fn get(key: &str) -> Option<String> {
        storage()?.get_item(key).ok().flatten()
    }

    /// Stores `value` (or forgets the key) and mirrors it on `<html>` as `attribute`.
    fn put(key: &str, attribute: &str, value: Option<&str>) {
        if let Some(storage) = storage() {
            let _ = match value {
                Some(value) => storage.set_item(key, value),
                None => storage.remove_item(key),
            };
        }
        if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = match value {
                Some(value) => root.set_attribute(attribute, value),
                None => root.remove_attribute(attribute),
            };
        }
    }

    pub fn theme() -> Theme {
        get(THEME_KEY).map(|name| Theme::parse(&name)).unwrap_or_default()
    }

    pub fn set_theme(theme: Theme) {
        put(THEME_KEY, "data-theme", (theme != Theme::System).then(|| theme.name()));
    }

    fn view_key(read_only: bool) -> (&'static str, &'static str) {
        if read_only {
            (READ_VIEW_KEY, "data-read-view")
        } else {
            (VIEW_KEY, "data-view")
        }
    }

    /// The layout shown now: the stored choice, or the default for this screen.
    pub fn view(read_only: bool) -> View {
        get(view_key(read_only).0).and_then(|name| View::parse(&name)).unwrap_or_else(|| {
            let narrow = web_sys::window()
                .and_then(|w| w.match_media(NARROW_QUERY).ok().flatten())
                .is_some_and(|query| query.matches());
            View::default_for(read_only, narrow)
        })
    }

    pub fn set_view(read_only: bool, view: View) {
        let (key, attribute) = view_key(read_only);
        put(key, attribute, Some(view.name()));
    }

    pub fn line_numbers() -> bool {
        get(LINE_NUMBERS_KEY).as_deref() == Some("on")
    }

    pub fn set_line_numbers(on: bool) {
        put(LINE_NUMBERS_KEY, "data-line-numbers", on.then_some("on"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_values_fall_back() {
        for view in View::ALL {
            assert_eq!(View::parse(view.name()), Some(view));
        }
        assert_eq!(View::parse("<script>"), None);
        for theme in [Theme::System, Theme::Light, Theme::Dark] {
            assert_eq!(Theme::parse(theme.name()), theme);
        }
        assert_eq!(Theme::parse("x"), Theme::System);
        assert_eq!(Theme::System.next().next().next(), Theme::System);
    }

    #[test]
    fn readers_get_the_preview_and_phones_the_source() {
        assert_eq!(View::default_for(true, false), View::Preview);
        assert_eq!(View::default_for(true, true), View::Preview);
        assert_eq!(View::default_for(false, false), View::Split);
        assert_eq!(View::default_for(false, true), View::Edit);
    }
}
