use indigo::service_contract;

#[service_contract]
trait Inventory {
    // WCF has no way to send a `String` error: it must be a fault.
    #[operation]
    async fn reserve(&self, item: i32) -> Result<i32, String>;

    // A `Result` alias hides its error type.
    #[operation]
    async fn release(&self, item: i32) -> std::io::Result<()>;
}

fn main() {}
