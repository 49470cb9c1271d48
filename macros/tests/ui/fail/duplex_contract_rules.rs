#[indigo::service_contract]
pub trait Progress {
    #[operation(one_way)]
    async fn step(&self, percent: u32);
}

#[indigo::service_contract(session = NotAllowed, callback = Progress)]
pub trait Job {
    #[operation]
    async fn run(&mut self) -> bool;
}

#[indigo::service_contract(callback = "Progress")]
pub trait Quoted {
    #[operation]
    async fn run(&mut self) -> bool;
}

#[indigo::service_contract(callback = Progress)]
pub trait Upload {
    #[operation]
    async fn send(&self, data: indigo::ByteStream) -> u64;
}

fn main() {}
