//! The formatting half of the editor's toolbar: bold, italic, strikethrough,
//! code, link, heading, quote and lists. Each button runs the same command as
//! its shortcut (named in its tooltip), on the editor's selection; pressing
//! one keeps the editor focused and the selection where it was.

use leptos::prelude::*;

/// One button: the command it runs (`app/js/src/format.js`), its name, its
/// shortcut, and the strokes of its 24×24 icon.
struct Tool {
    command: &'static str,
    label: &'static str,
    shortcut: &'static str,
    icon: &'static [&'static str],
}

const TOOLS: &[Tool] = &[
    Tool {
        command: "bold",
        label: "Bold",
        shortcut: "Ctrl+B / ⌘B",
        icon: &["M7 5h6a3.5 3.5 0 0 1 0 7H7z", "M7 12h7a3.5 3.5 0 0 1 0 7H7z"],
    },
    Tool {
        command: "italic", label: "Italic", shortcut: "Ctrl+I / ⌘I", icon: &["M19 4h-9", "M14 20H5", "M15 4 9 20"]
    },
    Tool {
        command: "strikethrough",
        label: "Strikethrough",
        shortcut: "Ctrl+Shift+X / ⌘⇧X",
        icon: &["M16 5H9.5a3.5 3.5 0 0 0-2.4 6", "M14 12a3.5 3.5 0 0 1-1 7H6", "M4 12h16"],
    },
    Tool {
        command: "code", label: "Inline code", shortcut: "Ctrl+E / ⌘E", icon: &["m16 18 6-6-6-6", "m8 6-6 6 6 6"]
    },
    Tool {
        command: "link",
        label: "Link",
        shortcut: "Ctrl+K / ⌘K",
        icon: &[
            "M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.7 1.7",
            "M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7",
        ],
    },
    Tool {
        command: "heading",
        label: "Heading (again for a smaller one)",
        shortcut: "Ctrl+Alt+1…3 / ⌘⌥1…3",
        icon: &["M6 4v16", "M18 4v16", "M6 12h12"],
    },
    Tool {
        command: "quote",
        label: "Quote",
        shortcut: "Ctrl+Shift+. / ⌘⇧.",
        icon: &["M5 4v16", "M10 8h9", "M10 12h9", "M10 16h6"],
    },
    Tool {
        command: "bullets",
        label: "Bulleted list",
        shortcut: "Ctrl+Shift+8 / ⌘⇧8",
        icon: &["M9 6h11", "M9 12h11", "M9 18h11", "M4 6h.01", "M4 12h.01", "M4 18h.01"],
    },
    Tool {
        command: "numbers",
        label: "Numbered list",
        shortcut: "Ctrl+Shift+7 / ⌘⇧7",
        icon: &["M10 6h11", "M10 12h11", "M10 18h11", "M4 4h1v5", "M4 9h2", "M6.5 19H4l2.3-2.6a1.2 1.2 0 1 0-2.1-1"],
    },
    Tool {
        command: "tasks",
        label: "Task list",
        shortcut: "Ctrl+Shift+9 / ⌘⇧9",
        icon: &["m3 17 2 2 4-4", "m3 7 2 2 4-4", "M13 6h8", "M13 12h8", "M13 18h8"],
    },
    // Not a text command: the file picker (app/js/src/uploads.js). Files
    // can also be pasted or dropped into the editor.
    Tool {
        command: "attach",
        label: "Add an image or file (or paste or drop one)",
        shortcut: "",
        icon: &["m21.4 11.1-9.2 9.2a6 6 0 0 1-8.5-8.5l9.2-9.2a4 4 0 0 1 5.7 5.7l-9.2 9.2a2 2 0 0 1-2.8-2.8l8.5-8.5"],
    },
];

/// The formatting buttons; `run` is given a command's name, `enabled` says
/// whether this person may write here.
#[component]
pub fn FormatToolbar(run: Callback<&'static str>, enabled: Signal<bool>) -> impl IntoView {
    TOOLS
        .iter()
        .map(|tool| {
            let command = tool.command;
            let hint = if tool.shortcut.is_empty() {
                tool.label.to_string()
            } else {
                format!("{} ({})", tool.label, tool.shortcut)
            };
            view! {
                <button type="button" class="tool icon" title=hint aria-label=tool.label
                    data-format=command disabled=move || !enabled.get()
                    // Keep the focus (and the selection) in the editor.
                    on:mousedown=|event| event.prevent_default()
                    on:click=move |_| run.run(command)>
                    <svg viewBox="0 0 24 24" aria-hidden="true">
                        {tool.icon.iter().map(|d| view! { <path d=*d/> }).collect_view()}
                    </svg>
                </button>
            }
        })
        .collect_view()
}
