//! Reading one full ListObjectsV2 page: 1,000 keys, as S3 sends it with `encoding-type=url`.
//!
//! Run with `cargo bench -p connector-core --bench listing`.
//!
//! `typed_page` reads the body as `listing::list_objects_v2` does (`listing::parse_page`: keys
//! URL-decoded, ETags unquoted); `as_json` times the generic XML-to-JSON conversion that
//! `make_api_call` applies to the same page.

use connector_core::ops::listing::{self, ListPage};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

const KEYS: usize = 1000;

/// A realistic page: photo keys under dated folders, some with spaces, `+` and non-ASCII
/// characters (URL-encoded as S3 encodes them), ETags (some multipart), sizes, dates, storage
/// classes, and the checksum fields S3 now adds (which the connector ignores).
fn listing_xml() -> String {
    let mut xml = String::with_capacity(KEYS * 400);
    xml.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <Name>photos-bucket</Name><Prefix>photos%2F</Prefix>\
         <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>\
         <KeyCount>1000</KeyCount><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType>\
         <IsTruncated>true</IsTruncated>",
    );
    for i in 0..KEYS {
        let month = i % 12 + 1;
        // One key in ten has a space (`+`), a plus (`%2B`) or an accented folder.
        let key = match i % 10 {
            3 => format!("photos/2026/{month:02}/Holiday+shots/IMG_{i:06}.jpg"),
            6 => format!("photos/2026/{month:02}/%C3%89t%C3%A9/IMG_{i:06}%2Bedit.jpg"),
            _ => format!("photos/2026/{month:02}/IMG_{i:06}.jpg"),
        };
        let etag_suffix = if i % 7 == 0 { "-3" } else { "" };
        let storage_class = if i % 5 == 0 {
            "STANDARD_IA"
        } else {
            "STANDARD"
        };
        let _ = write!(
            xml,
            "<Contents><Key>{key}</Key>\
             <LastModified>2026-{month:02}-{day:02}T{hour:02}:{min:02}:{sec:02}.000Z</LastModified>\
             <ETag>&quot;{etag:032x}{etag_suffix}&quot;</ETag>\
             <ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType>\
             <Size>{size}</Size><StorageClass>{storage_class}</StorageClass></Contents>",
            day = i % 28 + 1,
            hour = i % 24,
            min = i % 60,
            sec = (i * 7) % 60,
            etag = (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834),
            size = 1_000_000 + (i * 7919) % 9_000_000,
        );
    }
    xml.push_str("</ListBucketResult>");
    xml
}

/// What `listing::list_objects_v2` does with the body.
fn parse_page(text: &str) -> ListPage {
    listing::parse_page(text).expect("parses")
}

fn bench_listing(c: &mut Criterion) {
    let xml = listing_xml();

    // The page reads as the connector would read it.
    let page = parse_page(&xml);
    assert_eq!(page.objects.len(), KEYS);
    assert_eq!(page.objects[0].key, "photos/2026/01/IMG_000000.jpg");
    assert_eq!(
        page.objects[3].key,
        "photos/2026/04/Holiday shots/IMG_000003.jpg"
    );
    assert_eq!(
        page.objects[6].key,
        "photos/2026/07/Été/IMG_000006+edit.jpg"
    );
    assert!(
        page.objects
            .iter()
            .all(|o| o.etag.as_deref().is_some_and(|e| !e.contains('"')))
    );
    assert!(page.next_continuation_token.is_some());
    let json = connector_core::wire::xml::to_json(&xml).expect("converts");
    assert_eq!(
        json["ListBucketResult"]["Contents"]
            .as_array()
            .map(Vec::len),
        Some(KEYS)
    );

    let mut group = c.benchmark_group(format!("list_objects_v2_page_{KEYS}_keys"));
    group.throughput(Throughput::Elements(KEYS as u64));
    group.bench_function("typed_page", |b| b.iter(|| parse_page(black_box(&xml))));
    group.bench_function("as_json", |b| {
        b.iter(|| connector_core::wire::xml::to_json(black_box(&xml)).expect("converts"))
    });
    group.finish();
    println!("(the page is {} KiB of XML)", xml.len() / 1024);
}

criterion_group! {
    name = benches;
    // Modest settings: the whole file runs in well under a minute on 2 cores.
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = bench_listing
}
criterion_main!(benches);
