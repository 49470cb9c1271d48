use indigo::{data_contract, fault_contracts};

#[data_contract]
#[derive(Debug, Default)]
struct OutOfStock {
    product_id: i32,
}

#[fault_contracts]
enum ReserveFault {
    OutOfStock(OutOfStock),
    Again(OutOfStock),
    Closed,
    Pair(OutOfStock, OutOfStock),
}

// Not a data contract: it has no contract name to be matched by.
#[derive(Debug)]
struct Plain;

#[fault_contracts]
enum CancelFault {
    Plain(Plain),
}

fn main() {}
