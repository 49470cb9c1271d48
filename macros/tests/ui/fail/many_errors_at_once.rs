// Independent mistakes are all reported in one compilation.
use indigo::service_contract;

#[service_contract(session = Required)]
trait Calculator {
    #[operation(initiating, one_way = yes)]
    async fn clear(&mut self);
    #[operation(oneway)]
    fn add_to(&mut self, value: f64);
    #[operation(terminate)]
    async fn equals(self) -> f64;
}

fn main() {}
