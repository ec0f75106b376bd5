//! Leptos.toml (what the deployed binary reads) must agree with the build
//! settings cargo-leptos uses from Cargo.toml, or the server would look for the
//! browser bundle under the wrong name or folder.

#[test]
fn leptos_toml_matches_the_cargo_leptos_settings() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo: toml::Value = std::fs::read_to_string(root.join("Cargo.toml")).unwrap().parse().unwrap();
    let runtime: toml::Value = std::fs::read_to_string(root.join("Leptos.toml")).unwrap().parse().unwrap();
    let build = &cargo["workspace"]["metadata"]["leptos"][0];
    let runtime = &runtime["package"]["metadata"]["leptos"];
    for key in ["output-name", "site-root", "site-pkg-dir", "site-addr", "reload-port"] {
        assert_eq!(build.get(key), runtime.get(key), "{key} differs between Cargo.toml and Leptos.toml");
    }
    // Leptos bakes the bundle name in at compile time from this variable.
    let cargo_config: toml::Value = std::fs::read_to_string(root.join(".cargo/config.toml")).unwrap().parse().unwrap();
    assert_eq!(cargo_config["env"]["LEPTOS_OUTPUT_NAME"].as_str(), build["output-name"].as_str());
    // And the server can actually read the file.
    let options = leptos::config::get_configuration(Some(root.join("Leptos.toml").to_str().unwrap()))
        .expect("Leptos.toml parses")
        .leptos_options;
    assert_eq!(&*options.output_name, build["output-name"].as_str().unwrap());
}
