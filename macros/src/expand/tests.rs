//! Snapshots of expanded contracts (a session contract, and a streamed one), so every change
//! to generated code shows up in review. Regenerate with
//! `INDIGO_BLESS=1 cargo test -p indigo-macros expansion_snapshot`.

use std::path::Path;

const CONTRACT: &str = r#"
/// A calculator session.
pub trait CalculatorSession {
    #[operation(initiating)]
    async fn clear(&mut self);
    #[operation(one_way, initiating = false)]
    async fn add_to(&mut self, #[param(name = "n")] value: f64);
    #[operation(initiating = false, terminating)]
    async fn equals(&mut self) -> f64;
    #[operation(initiating = false)]
    async fn divide(&self, divisor: f64) -> Result<f64, indigo::Fault<DivideByZero>>;
}
"#;

/// Operations that take or return a stream, and a buffered one beside them.
const STREAMED_CONTRACT: &str = r#"
pub trait Files {
    #[operation]
    async fn upload(&self, data: indigo::ByteStream) -> u64;
    #[operation]
    async fn download(&self, name: String) -> indigo::ByteStream;
    #[operation]
    async fn size(&self, name: String) -> u64;
}
"#;

fn expand(contract: &str, attr: &str) -> String {
    let item: syn::ItemTrait = syn::parse_str(contract).expect("test contract parses");
    let attr: proc_macro2::TokenStream = attr.parse().expect("attribute tokens");
    let contract = crate::parse::contract(attr, &item).expect("valid contract");
    crate::check::contract(&contract).expect("consistent contract");
    let tokens = super::contract(&contract);
    let file: syn::File = syn::parse2(tokens).expect("expansion is valid Rust");
    prettyplease::unparse(&file)
}

#[test]
fn expansion_snapshot() {
    check(
        &expand(
            CONTRACT,
            "name = \"ICalculatorSession\", session = Required",
        ),
        "calculator_session.expanded.rs",
    );
}

#[test]
fn expansion_snapshot_streamed() {
    check(
        &expand(
            STREAMED_CONTRACT,
            "namespace = \"http://example.org/files\"",
        ),
        "files_streamed.expanded.rs",
    );
}

fn check(actual: &str, file: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expand")
        .join(file);
    if std::env::var_os("INDIGO_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create dir");
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot at {}; run with INDIGO_BLESS=1 to create it",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "the expansion changed; review the diff and re-bless with INDIGO_BLESS=1\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}
