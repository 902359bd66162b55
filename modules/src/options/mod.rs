//! Option lists for form dropdowns: buckets, regions, folders, providers. Schema fields point to them with
//! `"x-options": {"provider": NAME, "depends_on": [...]}`.

pub mod buckets;
pub mod folders;
pub mod providers;
pub mod regions;
