//! `sqlx::migrate!` embeds the migration files it finds at compile time, but
//! Cargo only notices changes to files that already existed; this makes a
//! newly added migration rebuild the crate.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
