//! Rust contracts for Indigo from WSDL 1.1 and XML Schema: what svcutil does for .NET.
//!
//! The generator reads a service's WSDL (from files or an HTTP `?wsdl` URL, following its
//! `wsdl:import`s and schema imports) and writes Rust source: a `#[service_contract]` trait per
//! port type (session mode, one-way, initiating and terminating operations and actions as the
//! documents state them), a `#[data_contract]` type per schema type the operations carry,
//! fault types (`Fault<D>`, or a `#[fault_contracts]` enum for several), and a module
//! `endpoints` with each port's address and binding. The output is formatted by rustfmt
//! (prettyplease's close layout where no rustfmt is installed) and documented from
//! `wsdl:documentation` and `xs:documentation`.
//!
//! What has no Rust form (RPC style, encoded use, bare or multi-part messages, out
//! parameters, `xs:choice`...) is an [`Error`] naming the construct and its position; what
//! the documents leave out (Mono's WSDL states no session flags) is a warning, and the
//! generated code says which default it took.
//!
//! Written by hand: no crate maps WSDL to Rust contracts. The XML is read by `roxmltree`, the
//! code built with `quote` and formatted by `prettyplease`.
//!
//! In a build script (`build.rs`), with `include!(concat!(env!("OUT_DIR"),
//! "/calculator.rs"))` in the crate:
//!
//! ```no_run
//! let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("calculator.rs");
//! indigo_codegen::Generator::new()
//!     .wsdl("wsdl/calculator.wsdl")
//!     .write_to(&out)
//!     .expect("the calculator's contracts");
//! println!("cargo:rerun-if-changed=wsdl");
//! ```

mod contracts;
mod error;
mod model;
mod names;
mod read;
mod types;

pub use error::Error;
pub use model::Position;

use quote::quote;

/// What a generation produced: the Rust source, and what the reader had to say.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The Rust source, formatted.
    pub code: String,
    /// Things the documents got wrong or that were left out of the code (a broken import, a
    /// callback operation), each with what was done instead.
    pub warnings: Vec<String>,
    /// Defaults taken where the documents are silent (no session flags), also written as
    /// comments at the top of the code.
    pub notes: Vec<String>,
}

/// Generates Rust contracts from WSDL.
#[derive(Debug, Clone, Default)]
pub struct Generator {
    roots: Vec<String>,
    inline: Vec<(String, String)>,
    mex: Vec<String>,
}

impl Generator {
    /// A generator with no documents yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the WSDL or XML Schema at `location`: a file path or an `http(s)://` URL (a
    /// service's `?wsdl`). Imports are followed from there.
    pub fn wsdl(mut self, location: impl Into<String>) -> Self {
        self.roots.push(location.into());
        self
    }

    /// Asks the WS-MetadataExchange endpoint at `address` (`http(s)://` or `net.tcp://`, WCF's
    /// `mexHttpBinding` / `mexTcpBinding`) for the service's documents. Blocking: call
    /// [`generate`](Self::generate) outside an async runtime (or in `spawn_blocking`).
    pub fn mex(mut self, address: impl Into<String>) -> Self {
        self.mex.push(address.into());
        self
    }

    /// Reads a document given as text, named `name` in messages (its relative imports are
    /// resolved against the name).
    pub fn document(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.inline.push((name.into(), text.into()));
        self
    }

    /// Generates the Rust source.
    pub fn generate(&self) -> Result<Generated, Error> {
        self.generate_with(&read::DefaultFetch)
    }

    fn generate_with(&self, fetch: &dyn read::Fetch) -> Result<Generated, Error> {
        let mut inline = self.inline.clone();
        for address in &self.mex {
            inline.extend(mex_documents(address)?);
        }
        let (defs, mut warnings) = read::read_all(&self.roots, &inline, fetch)?;
        // A document read twice (WCF and Mono import a schema from each Imports schema) says
        // the same thing twice.
        let mut seen = std::collections::HashSet::new();
        warnings.retain(|w| seen.insert(w.clone()));
        if defs.port_types.is_empty() {
            return Err(Error::NoContract);
        }
        let mut types = types::Types::new(&defs);
        contracts::prefer_fault_names(&defs, &mut types);
        let mut contracts = Vec::new();
        let mut notes = Vec::new();
        for port_type in &defs.port_types {
            contracts.push(contracts::port_type(
                &defs, &mut types, port_type, &mut notes,
            )?);
        }
        let endpoints = contracts::endpoints(&defs, &mut warnings);
        let mut seen = std::collections::HashSet::new();
        warnings.retain(|w| seen.insert(w.clone()));
        let data = types.items();
        let file = quote! {
            #(#data)*
            #(#contracts)*
            #endpoints
        };
        let syntax: syn::File = syn::parse2(file).map_err(|e| Error::Xml {
            document: "(generated code)".into(),
            message: format!("the generated code does not parse: {e}"),
        })?;
        let mut code = String::new();
        code.push_str(
            "// Generated by indigo-codegen from the service's WSDL; regenerate it rather than edit it.\n",
        );
        for source in self
            .roots
            .iter()
            .chain(self.inline.iter().map(|(name, _)| name))
        {
            code.push_str(&format!("// Source: {source}\n"));
        }
        for warning in &warnings {
            code.push_str(&format!("// Warning: {warning}\n"));
        }
        for note in &notes {
            code.push_str(&format!("// Note: {note}\n"));
        }
        code.push('\n');
        let pretty = prettyplease::unparse(&syntax);
        code.push_str(&rustfmt(&pretty).unwrap_or(pretty));
        Ok(Generated {
            code,
            warnings,
            notes,
        })
    }

    /// Generates and writes the source to `path` (for a build script: `OUT_DIR`), printing
    /// the warnings as cargo warnings when run by cargo.
    pub fn write_to(&self, path: impl AsRef<std::path::Path>) -> Result<Generated, Error> {
        let generated = self.generate()?;
        let path = path.as_ref();
        std::fs::write(path, &generated.code).map_err(|e| Error::Write {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        if std::env::var_os("CARGO").is_some() && std::env::var_os("OUT_DIR").is_some() {
            for warning in &generated.warnings {
                println!("cargo:warning={warning}");
            }
        }
        Ok(generated)
    }
}

/// The documents a MEX endpoint answers with, named `{address}#{n}`.
fn mex_documents(address: &str) -> Result<Vec<(String, String)>, Error> {
    let load = |reason: String| Error::Load {
        location: address.to_owned(),
        reason,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| load(e.to_string()))?;
    let sections = runtime
        .block_on(indigo::metadata::get_metadata(address))
        .map_err(|e| load(e.to_string()))?;
    if sections.is_empty() {
        return Err(load("the MEX endpoint answered with no documents".into()));
    }
    Ok(sections
        .into_iter()
        .enumerate()
        .map(|(index, section)| (format!("{address}#{index}"), section.document))
        .collect())
}

/// `code` through `rustfmt`, when it is installed (it is with rustup's default profile):
/// prettyplease's layout differs from rustfmt's in a few long attributes.
fn rustfmt(code: &str) -> Option<String> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let rustfmt = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let mut child = Command::new(rustfmt)
        .args(["--edition", "2021", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let input = code.to_owned();
    // Written from a thread: rustfmt may fill its output pipe before it has read all input.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().ok()?;
    writer.join().ok()?.ok()?;
    (output.status.success() && !output.stdout.is_empty())
        .then(|| String::from_utf8(output.stdout).ok())
        .flatten()
}

#[cfg(test)]
mod tests;
