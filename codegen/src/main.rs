//! `indigo-codegen`: Rust contracts from WSDL.
//!
//! ```text
//! indigo-codegen <WSDL-FILE-OR-URL>... [--mex <MEX-ADDRESS>]... [-o OUT.rs]
//! ```
//!
//! Without `-o` the code goes to standard output. Warnings go to standard error; an error
//! names the construct and its position and exits with status 1.

use std::process::ExitCode;

const USAGE: &str =
    "usage: indigo-codegen <WSDL-FILE-OR-URL>... [--mex <MEX-ADDRESS>]... [-o OUT.rs]";

fn main() -> ExitCode {
    let mut generator = indigo_codegen::Generator::new();
    let mut out = None;
    let mut any = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-o" | "--out" => match args.next() {
                Some(path) => out = Some(path),
                None => {
                    eprintln!("{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--mex" => match args.next() {
                Some(address) => {
                    generator = generator.mex(address);
                    any = true;
                }
                None => {
                    eprintln!("{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => {
                generator = generator.wsdl(arg);
                any = true;
            }
        }
    }
    if !any {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let generated = match &out {
        Some(path) => generator.write_to(path),
        None => generator.generate(),
    };
    match generated {
        Ok(generated) => {
            for warning in &generated.warnings {
                eprintln!("warning: {warning}");
            }
            for note in &generated.notes {
                eprintln!("note: {note}");
            }
            if out.is_none() {
                print!("{}", generated.code);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
