//! Option lists for form dropdowns: buckets, regions, folders. Schema fields point to them with
//! `"x-options": {"provider": NAME, "depends_on": [...]}`.

pub mod buckets;
pub mod folders;
pub mod regions;
