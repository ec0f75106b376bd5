//! The modules the page's script imports, named in the page's head so the
//! browser fetches them with the wasm instead of after it (server only).
//!
//! `quire.js` (wasm-bindgen's glue) imports the editor's bundle from
//! `./snippets/<crate>-<hash>/…`; the browser would only see that import once
//! it has fetched and parsed `quire.js`, which waits behind the page's first
//! layout. The paths are read once from the built `quire.js`, as the service
//! worker does (public/sw.js).

use std::sync::OnceLock;

use leptos::config::LeptosOptions;

/// `/pkg/snippets/…` for every snippet module the built glue imports (none
/// if it is not built: the page works without the hint).
pub fn snippet_modules(options: &LeptosOptions) -> &'static [String] {
    static FOUND: OnceLock<Vec<String>> = OnceLock::new();
    FOUND.get_or_init(|| {
        let pkg = format!("/{}", options.site_pkg_dir);
        let glue = std::path::Path::new(&*options.site_root)
            .join(&*options.site_pkg_dir)
            .join(format!("{}.js", options.output_name));
        std::fs::read_to_string(glue).map(|glue| snippet_imports(&glue, &pkg)).unwrap_or_default()
    })
}

/// The `./snippets/….js` paths quoted in `glue`, under `pkg`.
fn snippet_imports(glue: &str, pkg: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (start, _) in glue.match_indices("./snippets/") {
        let Some(quote) = glue[..start].chars().last().filter(|c| *c == '"' || *c == '\'') else { continue };
        let rest = &glue[start + 2..];
        let Some(end) = rest.find(quote) else { continue };
        let path = &rest[..end];
        // Only plain module paths make it into the page.
        let plain = path.ends_with(".js")
            && !path.contains("..")
            && path.chars().all(|c| c.is_ascii_alphanumeric() || "/-_.".contains(c));
        let url = format!("{pkg}/{path}");
        if plain && !found.contains(&url) {
            found.push(url);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::snippet_imports;

    #[test]
    fn the_glue_s_snippet_imports_are_found_and_nothing_else() {
        let glue = r#"import{QuireEditor as t}from"./snippets/app-0cd1/js/dist/editor.js";
            import { x } from './snippets/app-0cd1/js/dist/editor.js';
            const note = "see ./snippets/ for more";
            import{y}from"./snippets/../../etc/passwd.js";
            import{z}from"./snippets/a/b\"><script>.js";"#;
        assert_eq!(snippet_imports(glue, "/pkg"), vec!["/pkg/snippets/app-0cd1/js/dist/editor.js".to_string()]);
    }
}
