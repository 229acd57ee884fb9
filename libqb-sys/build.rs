fn main() {
    println!("cargo:rustc-link-lib=qb");
    println!("cargo:rerun-if-changed=wrapper.h");
    #[cfg(feature = "bindgen")]
    regenerate();
}

#[cfg(feature = "bindgen")]
fn regenerate() {
    let out = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("src/bindings.rs");
    bindgen::Builder::default()
        .header("wrapper.h")
        .allowlist_function("qb_(ipcs|ipcc|loop|log|util_stopwatch)_.*")
        .allowlist_type("qb_.*")
        .allowlist_var("QB_.*")
        .blocklist_function("qb_log_.*_va_?2?")
        .blocklist_type("qb_log_vlogger_fn|va_list|__builtin_va_list|__va_list_tag")
        .rustified_enum("qb_ipc_type")
        .rustified_enum("qb_loop_priority")
        .derive_default(true)
        .layout_tests(true)
        .generate()
        .expect("bindgen over libqb headers")
        .write_to_file(out)
        .expect("write bindings.rs");
}
