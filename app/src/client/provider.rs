//! The WebSocket under a session: opening it, passing binary frames through,
//! and the reconnect schedule (exponential backoff with jitter, capped).

use std::rc::Rc;

use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

/// What happened on the socket.
pub enum SocketEvent {
    Open,
    Frame(Vec<u8>),
    Closed { code: u16, reason: String },
}

/// One WebSocket attempt; closed (quietly) when dropped.
pub struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(JsValue)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Socket {
    pub fn connect(url: &str, on_event: Rc<dyn Fn(SocketEvent)>) -> Result<Socket, JsValue> {
        let ws = WebSocket::new(url)?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let handler = on_event.clone();
        let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| handler(SocketEvent::Open));
        let handler = on_event.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Ok(buffer) = event.data().dyn_into::<ArrayBuffer>() {
                handler(SocketEvent::Frame(Uint8Array::new(&buffer).to_vec()));
            }
        });
        let handler = on_event;
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            handler(SocketEvent::Closed { code: event.code(), reason: event.reason() });
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Socket { ws, _on_open: on_open, _on_message: on_message, _on_close: on_close })
    }

    /// Sends a frame if the socket is open; false otherwise (the y-sync exchange
    /// on the next connection delivers whatever was not sent).
    pub fn send(&self, frame: &[u8]) -> bool {
        self.ws.ready_state() == WebSocket::OPEN && self.ws.send_with_u8_array(frame).is_ok()
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

/// Reconnect delays: 0.5 s doubling up to 30 s, each scaled by a random factor
/// in [0.5, 1) so a restarted server is not hit by every client at once.
#[derive(Default)]
pub struct Backoff {
    attempt: u32,
}

impl Backoff {
    pub const BASE_MS: f64 = 500.0;
    pub const CAP_MS: f64 = 30_000.0;

    pub fn next_delay_ms(&mut self) -> u32 {
        let ceiling = (Self::BASE_MS * 2f64.powi(self.attempt.min(16) as i32)).min(Self::CAP_MS);
        self.attempt += 1;
        (ceiling * (0.5 + js_sys::Math::random() / 2.0)) as u32
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// `ws://host/ws/doc/{id}` (or `wss://` on https pages).
pub fn doc_url(doc_id: &str) -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" { "wss" } else { "ws" };
    Some(format!("{scheme}://{}/ws/doc/{doc_id}", location.host().ok()?))
}
