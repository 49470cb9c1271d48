use indigo::service_contract;

#[service_contract]
trait Calculator {
    #[operation]
    const async fn zero(&self) -> f64;
    #[operation]
    async unsafe fn raw(&self, pointer: usize);
    #[operation]
    async extern "C" fn ffi(&self);
}

fn main() {}
