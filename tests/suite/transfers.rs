//! Large files: multipart uploads with parallel parts, parallel ranged downloads, streams of
//! unknown length — byte-exact against the in-process s3s-fs server. (Faults: faults.rs.)

use integration_tests::TestStore;
use serde_json::json;
use std::io::Write;

/// Deterministic, incompressible-looking bytes.
fn data(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

const MIB: usize = 1024 * 1024;

fn small_parts() -> serde_json::Value {
    json!({"multipart_threshold_mib": 5, "part_size_mib": 5, "concurrency": 4})
}

#[tokio::test]
async fn large_files_go_up_in_parts_and_come_back_in_ranges() {
    let t = TestStore::start().await;
    t.bucket("big").await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = data(23 * MIB + 12_345, 1);
    let source = dir.path().join("big.bin");
    std::fs::write(&source, &bytes).unwrap();

    let up = t
        .ok(
            "upload_file",
            json!({"bucket": "big", "folder": "in", "file_name": "big.bin",
                   "source": {"path": source}, "transfer": small_parts()}),
        )
        .await;
    assert_eq!(up["size"], bytes.len());
    assert_eq!(up["parts"], 5);
    assert!(up["etag"].as_str().unwrap().ends_with("-5"), "{up}");

    let dest = dir.path().join("out/big.copy");
    let got = t
        .ok(
            "get_file",
            json!({"bucket": "big", "key": "in/big.bin", "save_to": dest, "transfer": small_parts()}),
        )
        .await;
    assert_eq!(got["size"], bytes.len());
    assert_eq!(got["etag"], up["etag"]);
    assert!(
        std::fs::read(&dest).unwrap() == bytes,
        "the download differs"
    );
    let names: Vec<_> = std::fs::read_dir(dest.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["big.copy"]);

    // A ranged read of the multipart object still works.
    let part = t
        .ok(
            "get_file",
            json!({"bucket": "big", "key": "in/big.bin", "range": "bytes=10485755-10485764"}),
        )
        .await;
    assert_eq!(part["size"], 10);
}

/// A single-part object (its ETag is its MD5) fetched in parallel ranges is checked against
/// that MD5 before it is saved.
#[tokio::test]
async fn single_part_objects_are_verified_after_a_parallel_download() {
    let t = TestStore::start().await;
    t.bucket("verify").await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = data(12 * MIB + 7, 2);
    let source = dir.path().join("one.bin");
    std::fs::write(&source, &bytes).unwrap();
    let up = t
        .ok(
            "upload_file",
            json!({"bucket": "verify", "file_name": "one.bin", "source": {"path": source},
                   "transfer": {"multipart_threshold_mib": 64}}),
        )
        .await;
    assert!(up.get("parts").is_none());
    assert_eq!(up["etag"].as_str().unwrap().len(), 32);
    let dest = dir.path().join("one.copy");
    t.ok(
        "get_file",
        json!({"bucket": "verify", "key": "one.bin", "save_to": dest, "transfer": small_parts()}),
    )
    .await;
    assert!(std::fs::read(&dest).unwrap() == bytes);

    // An empty file too.
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    t.ok(
        "upload_file",
        json!({"bucket": "verify", "file_name": "empty", "source": {"path": empty}}),
    )
    .await;
    let dest = dir.path().join("empty.copy");
    let got = t
        .ok(
            "get_file",
            json!({"bucket": "verify", "key": "empty", "save_to": dest}),
        )
        .await;
    assert_eq!(got["size"], 0);
    assert_eq!(std::fs::read(&dest).unwrap().len(), 0);
}

/// A source of unknown length (a named pipe) is read part by part — also when the multipart
/// threshold is not a whole number of parts.
#[tokio::test]
async fn streams_of_unknown_length_are_uploaded() {
    let t = TestStore::start().await;
    t.bucket("pipes").await;
    for (len, transfer, parts) in [
        (11 * MIB + 99, small_parts(), 3),
        (
            23 * MIB + 1,
            json!({"multipart_threshold_mib": 7, "part_size_mib": 5}),
            5,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let bytes = data(len, 3);
        let writer = {
            let (fifo, bytes) = (fifo.clone(), bytes.clone());
            std::thread::spawn(move || {
                let mut pipe = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
                for chunk in bytes.chunks(64 * 1024) {
                    pipe.write_all(chunk).unwrap();
                }
            })
        };
        let up = t
            .ok(
                "upload_file",
                json!({"bucket": "pipes", "file_name": "streamed.bin", "source": {"path": fifo},
                       "transfer": transfer}),
            )
            .await;
        writer.join().unwrap();
        assert_eq!(up["size"], bytes.len());
        assert_eq!(up["parts"], parts);
        let dest = dir.path().join("streamed.copy");
        t.ok(
            "get_file",
            json!({"bucket": "pipes", "key": "streamed.bin", "save_to": dest}),
        )
        .await;
        assert!(std::fs::read(&dest).unwrap() == bytes);
    }
}
