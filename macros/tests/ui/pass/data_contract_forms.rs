use indigo::{data_contract, DataContract, Flags, FlagsContract};
use std::collections::HashMap;

#[data_contract(flags)]
#[derive(Clone, Copy)]
enum Access {
    None = 0,
    Read = 1 << 0,
    Write = 1 << 1,
}

#[data_contract(namespace = "urn:a")]
struct Base {
    label: String,
}

#[data_contract(namespace = "urn:b")]
struct Derived {
    #[data_member(base)]
    base: Base,
    radius: f64,
    access: Flags<Access>,
}

#[data_contract(name = "Base", namespace = "urn:a", known_types)]
enum AnyBase {
    Base(Base),
    Derived(Derived),
}

#[data_contract(collection, item_name = "L")]
struct Lines(Vec<AnyBase>);

#[data_contract(collection, key_name = "K", value_name = "V")]
struct Index(HashMap<String, Lines>);

fn main() {
    assert_eq!(Access::MEMBERS, &[("None", 0), ("Read", 1), ("Write", 2)]);
    assert_eq!(AnyBase::NAME, "Base");
    assert_eq!(Lines::NAME, "Lines");
    assert_eq!(Index::NAMESPACE, None);
    let _ = Flags::from(Access::Read) | Access::Write;
}
