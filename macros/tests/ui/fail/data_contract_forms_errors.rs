use indigo::data_contract;

#[data_contract]
struct Base {
    label: String,
}

// The base type must come first, and has no member keys of its own.
#[data_contract]
struct Derived {
    radius: f64,
    #[data_member(base, name = "B")]
    base: Base,
}

// A known-types variant holds exactly one data contract.
#[data_contract(known_types)]
enum AnyShape {
    Base(Base),
    Nothing,
    Two(Base, Base),
}

// `flags` and `known_types` are for enums; item names for collections.
#[data_contract(flags, item_name = "Item")]
struct NotAnEnum {
    value: i32,
}

// A collection is a newtype over a list or a map.
#[data_contract(collection, item_name = "not a name")]
struct Lines {
    items: Vec<String>,
}

#[data_contract(collection)]
enum NotAStruct {
    A,
}

#[data_contract(flags, known_types)]
enum Both {
    A,
}

fn main() {}
