//! Live document lists: listens to the server's `/events` stream and reloads
//! the lists whenever one of the caller's documents changes. The browser's
//! EventSource reconnects by itself; the server's `ready` event on every
//! (re)connection triggers one reload, so nothing missed while away is lost.

use web_sys::EventSource;

use super::dom::Listener;

/// The open stream; closed when dropped.
pub struct ListEvents {
    source: EventSource,
    _listeners: [Listener; 2],
}

impl ListEvents {
    pub fn open(reload: impl Fn() + Clone + 'static) -> Option<Self> {
        let source = EventSource::new("/events").ok()?;
        let on_ready = reload.clone();
        let listeners =
            [Listener::new(&source, "ready", move |_| on_ready()), Listener::new(&source, "docs", move |_| reload())];
        Some(ListEvents { source, _listeners: listeners })
    }
}

impl Drop for ListEvents {
    fn drop(&mut self) {
        self.source.close();
    }
}
