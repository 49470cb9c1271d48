#[indigo::service_contract]
pub trait Progress {
    #[operation(one_way)]
    async fn step(&self, percent: u32);
}

#[indigo::service_contract(callback = Progress)]
pub trait Job {
    #[operation]
    async fn run(&mut self) -> bool;
}

struct JobService;

impl Job for JobService {
    async fn run(&mut self) -> bool {
        true
    }
}

fn main() {
    let _ = indigo::ServiceHost::builder(JobContract::per_session(|| JobService))
        .endpoint(indigo::BasicHttpBinding::new(), "http://127.0.0.1:0/job");
}
