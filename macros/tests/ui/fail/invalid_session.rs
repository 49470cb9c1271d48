use indigo::service_contract;

#[service_contract(session = Sometimes)]
trait A {
    #[operation]
    async fn a(&self);
}

#[service_contract(session = Require)]
trait B {
    #[operation]
    async fn b(&self);
}

#[service_contract(session = "Required")]
trait C {
    #[operation]
    async fn c(&self);
}

#[service_contract(session)]
trait D {
    #[operation]
    async fn d(&self);
}

fn main() {}
