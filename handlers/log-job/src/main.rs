//! `log-job`: prints the message it is given, one line on stdout.

mod data;

enschedule_sdk::embed_manifest!();

fn main() {
    enschedule_sdk::run(|data: data::Data| {
        println!("{}", data.message);
        Ok::<(), String>(())
    })
}
