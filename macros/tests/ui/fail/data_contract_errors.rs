use indigo::data_contract;

#[data_contract(namespace = "urn:shop", nmae = "Line")]
#[derive(Debug, serde::Serialize)]
struct Line {
    #[data_member(name = "Id")]
    id: i32,
    #[data_member(name = "Id")]
    other_id: i32,
    #[data_member(name = "1st")]
    first: i32,
    #[data_member(requried)]
    second: i32,
}

#[data_contract]
enum Shape {
    Circle(f64),
    Square { side: f64 },
    #[enum_member(value = "Dot")]
    Point,
    #[enum_member(value = "Dot")]
    Pixel,
}

#[data_contract]
struct Pair(i32, i32);

#[data_contract]
struct Wrapper<T> {
    value: T,
}

fn main() {}
