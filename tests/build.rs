//! Generates Rust contracts from the WSDL fixtures (`interop/metadata/fixtures/`) with
//! `indigo-codegen`, as a user's build script would: `src/generated.rs` includes them.

use std::path::{Path, PathBuf};

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let fixtures = Path::new("interop/metadata/fixtures");
    for (module, root) in [
        ("orders", "orders/main.wsdl"),
        ("calculator", "calculator/main.wsdl"),
        ("mono_probe", "mono/main.wsdl"),
        ("ticker", "ticker/main.wsdl"),
    ] {
        let root = fixtures.join(root);
        indigo_codegen::Generator::new()
            .wsdl(root.to_string_lossy())
            .write_to(out.join(format!("{module}.rs")))
            .unwrap_or_else(|e| panic!("generating {module} from {}: {e}", root.display()));
    }
    println!("cargo:rerun-if-changed=interop/metadata/fixtures");
}
