use indigo::service_contract;

#[service_contract]
trait Calculator<N>
where
    N: Copy,
{
    #[operation]
    async fn clear(&mut self);
}

fn main() {}
