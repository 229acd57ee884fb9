//! Links libxml2 and libxslt (schema validation and CIB upgrade transforms) and compiles
//! the C shim that formats their printf-style error callbacks.

fn main() {
    println!("cargo:rerun-if-changed=csrc/xml_error_shim.c");
    cc::Build::new()
        .file("csrc/xml_error_shim.c")
        .warnings(true)
        .compile("pcmkrs_xml_error_shim");
    println!("cargo:rustc-link-lib=xslt");
    println!("cargo:rustc-link-lib=xml2");
}
