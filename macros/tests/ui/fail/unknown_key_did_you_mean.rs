use indigo::service_contract;

#[service_contract(sesion = Required)]
trait Calculator {
    #[operation(initating)]
    async fn clear(&mut self);
    #[operation(IsOneWay)]
    async fn add_to(&mut self, #[param(nmae = "n")] value: f64);
}

fn main() {}
