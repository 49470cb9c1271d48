//! Procedural macros for Indigo service contracts. Users depend on the `indigo` crate, which
//! re-exports these; generated code names everything through `::indigo::__private`.
//!
//! The pipeline is parse (syn -> `model`) -> check (the contract rules, errors collected) ->
//! expand (one module per generated item). On any error the trait itself is still emitted,
//! so the user sees the real error and not a cascade of "cannot find trait" errors.

mod check;
mod data_contract;
mod expand;
mod fault_contracts;
mod model;
mod naming;
mod parse;

use proc_macro::TokenStream;

/// Declares a trait as a WCF-style service contract.
///
/// Use it through the `indigo` crate (`#[indigo::service_contract(...)]`), whose
/// [documentation](../indigo/index.html#contract-keys) has a complete example and says what is
/// generated: the trait, a `{Trait}Contract` marker, the dispatcher and a `{Trait}Client`.
///
/// Keys, all optional:
///
/// - `name = "..."`: the contract's wire name (default: the trait's name);
/// - `namespace = "..."`: the contract namespace (default `http://tempuri.org/`);
/// - `data_namespace = "..."`: the namespace of struct members in bodies (default
///   `http://schemas.datacontract.org/2004/07/`);
/// - `session = Required | Allowed | NotAllowed`: the session mode (default `Allowed`).
///
/// Every method of the trait is an `async fn` with an [`#[operation]`](macro@operation)
/// attribute; a parameter may be renamed on the wire with `#[param(name = "...")]`.
///
/// ```ignore
/// #[indigo::service_contract(name = "ICalculatorSession", session = Required)]
/// pub trait CalculatorSession {
///     #[operation(initiating)]
///     async fn clear(&mut self);
///     #[operation(one_way, initiating = false)]
///     async fn add_to(&mut self, #[param(name = "n")] value: f64);
///     #[operation(initiating = false, terminating)]
///     async fn equals(&mut self) -> f64;
/// }
/// ```
///
/// (This example is not run as a test of `indigo-macros`, which cannot depend on `indigo`; the
/// examples in the `indigo` crate's documentation are.)
#[proc_macro_attribute]
pub fn service_contract(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    let trait_item: syn::ItemTrait = match syn::parse2(item.clone()) {
        Ok(t) => t,
        Err(_) => {
            let err = syn::Error::new_spanned(
                &item,
                "#[service_contract] goes on a trait: write `pub trait MyService { ... }`",
            );
            let mut out = err.into_compile_error();
            out.extend(item);
            return out.into();
        }
    };
    let contract = match parse::contract(attr.into(), &trait_item) {
        Ok(contract) => contract,
        Err(err) => return expand::fallback(&trait_item, err).into(),
    };
    if let Err(mut err) = check::reserved_names(&contract) {
        if let Err(more) = check::contract(&contract) {
            err.combine(more);
        }
        return expand::fallback(&trait_item, err).into();
    }
    match check::contract(&contract) {
        Ok(()) => expand::contract(&contract).into(),
        Err(err) => {
            // The contract breaks a rule but is fully known: generate everything anyway, so
            // code that uses the client or host reports nothing but the real error.
            let mut out = err.into_compile_error();
            out.extend(expand::contract(&check::expandable(contract)));
            out.into()
        }
    }
}

/// Declares a struct or a unit enum as a WCF data contract (`[DataContract]`).
///
/// Use it through the `indigo` crate (`#[indigo::data_contract(...)]`), whose
/// [documentation](../indigo/index.html#data-contracts) has a complete example. It implements
/// serde's `Serialize` and `Deserialize` (do not derive them) and `indigo::DataContract`.
///
/// Type keys, all optional: `name = "..."` (default: the type's name) and `namespace = "..."`
/// (default: the data namespace of the service contract the type travels in).
///
/// A struct field may carry `#[data_member(...)]` (`[DataMember]`): `name = "..."` (default:
/// PascalCase of the field), `order = N`, `required` (`IsRequired`; a missing element is then
/// an error, otherwise the field's `Default`), `emit_default = false` (`EmitDefaultValue`:
/// omit the member when it equals its `Default`), or `base` on the first field: the field is
/// the base type (`class Derived : Base`), whose members are written first in its namespace.
/// An enum variant may carry `#[enum_member(value = "...")]` (`[EnumMember]`).
///
/// More type keys: `flags` on an enum (a C# `[Flags]` enum; combinations are
/// `indigo::Flags<E>`); `known_types` on an enum whose variants each hold one data contract
/// (the declared type and its `[KnownType]`s, told apart by `i:type`); `collection` on a
/// newtype over a list or a map (`[CollectionDataContract]`), with `item_name`, `key_name` and
/// `value_name`.
#[proc_macro_attribute]
pub fn data_contract(attr: TokenStream, item: TokenStream) -> TokenStream {
    data_contract::expand(attr.into(), item.into()).into()
}

/// Declares an enum whose variants are the fault details one operation may send (WCF's
/// `[FaultContract]` more than once): `Result<T, Fault<ReserveFault>>` with
/// `#[fault_contracts] enum ReserveFault { OutOfStock(OutOfStock), Closed(StoreClosed) }`,
/// each variant holding one `#[data_contract]` type.
///
/// Use it through the `indigo` crate; its [documentation](../indigo/index.html#faults) has an
/// example. A fault goes out as its variant's detail, under WCF's action for that detail type
/// (`{Op}{Type}Fault`); a client reads it back into the variant whose contract name the detail
/// element has. It implements serde's `Serialize` and `Deserialize` (do not derive them).
#[proc_macro_attribute]
pub fn fault_contracts(attr: TokenStream, item: TokenStream) -> TokenStream {
    fault_contracts::expand(attr.into(), item.into()).into()
}

/// Marks a method of a `#[service_contract]` trait as an operation. It has meaning only inside
/// such a trait, where `#[service_contract]` reads it; anywhere else it is an error.
///
/// Keys, all optional (see the `indigo` crate's
/// [documentation](../indigo/index.html#operation-keys)):
///
/// - `name = "..."`: the wire name, the request body's wrapper element (default: PascalCase of
///   the method name, `add_to` -> `AddTo`);
/// - `action = "..."`: the request action (default `{namespace}{Contract}/{Name}`);
/// - `reply_action = "..."`: the reply action (default: the action followed by `Response`);
/// - `one_way`: the operation has no reply (default `false`);
/// - `initiating`: the operation may start a session (default `true`);
/// - `terminating`: the operation ends the session (default `false`).
///
/// The flags are written `one_way`, `one_way = true` or `one_way = false`; `initiating = false`
/// and `terminating` need `session = Required` on the contract.
///
/// ```ignore
/// #[operation(name = "Add", action = "urn:calc/Add", reply_action = "urn:calc/AddReply")]
/// async fn add(&self, a: f64, b: f64) -> f64;
/// ```
#[proc_macro_attribute]
pub fn operation(_attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    let err = syn::Error::new_spanned(
        &item,
        "#[operation] is only valid on a method inside a #[service_contract] trait",
    );
    let mut out = err.into_compile_error();
    out.extend(item);
    out.into()
}
