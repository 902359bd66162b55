//! How large transfers are cut and run: part sizes, parallelism, and the progress they report.

use std::sync::Arc;

/// One mebibyte.
pub const MIB: u64 = 1024 * 1024;
/// S3's smallest part (but the last).
pub const MIN_PART_SIZE: u64 = 5 * MIB;
/// S3's largest part.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * MIB;
/// S3's most parts in one upload.
pub const MAX_PARTS: u64 = 10_000;
/// S3's largest object.
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * MIB;

/// How uploads and downloads are split and run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferOptions {
    /// Files at least this large go in parts: multipart uploads, parallel ranged downloads.
    pub multipart_threshold: u64,
    /// The size of a part (grown when a file would need more than 10,000 parts).
    pub part_size: u64,
    /// How many parts are in flight at once.
    pub concurrency: usize,
}

impl Default for TransferOptions {
    fn default() -> Self {
        TransferOptions {
            multipart_threshold: 16 * MIB,
            part_size: 8 * MIB,
            concurrency: 8,
        }
    }
}

impl TransferOptions {
    /// The part size for an object of `size` bytes: the configured size, at least 5 MiB, and
    /// large enough (in whole MiB) that no more than 10,000 parts are needed.
    pub fn part_size_for(&self, size: u64) -> u64 {
        let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
        self.part_size
            .max(MIN_PART_SIZE)
            .max(needed)
            .min(MAX_PART_SIZE)
    }

    /// The parts of an object of `size` bytes: (number from 1, offset, length).
    pub fn parts(&self, size: u64) -> Vec<(u32, u64, u64)> {
        let part_size = self.part_size_for(size);
        (0..size.div_ceil(part_size))
            .map(|i| {
                let offset = i * part_size;
                (i as u32 + 1, offset, part_size.min(size - offset))
            })
            .collect()
    }
}

/// Transfer settings a person may tune on a form (all optional).
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferSettings {
    /// Files at least this large (in MiB) are sent or fetched in parts, in parallel.
    /// Default: 16.
    #[serde(default)]
    #[schemars(title = "Multipart threshold (MiB)", range(min = 5, max = 5120))]
    pub multipart_threshold_mib: Option<u64>,
    /// The size of each part in MiB (5 to 5120; grown automatically for very large files).
    /// Default: 8.
    #[serde(default)]
    #[schemars(title = "Part size (MiB)", range(min = 5, max = 5120))]
    pub part_size_mib: Option<u64>,
    /// How many parts are transferred at once (1 to 64). Default: 8.
    #[serde(default)]
    #[schemars(title = "Parallel parts", range(min = 1, max = 64))]
    pub concurrency: Option<usize>,
}

impl TransferSettings {
    /// The options these settings give.
    pub fn options(&self) -> TransferOptions {
        let default = TransferOptions::default();
        TransferOptions {
            multipart_threshold: self
                .multipart_threshold_mib
                .map_or(default.multipart_threshold, |mib| mib * MIB),
            part_size: self
                .part_size_mib
                .map_or(default.part_size, |mib| mib * MIB),
            concurrency: self.concurrency.unwrap_or(default.concurrency).clamp(1, 64),
        }
    }
}

/// Where a transfer reports how far it has come (the CLI draws a progress bar).
pub trait Progress: Send + Sync {
    /// A transfer of `total` bytes (if known) starts; `what` names it.
    fn start(&self, what: &str, total: Option<u64>);
    /// `bytes` more have been moved.
    fn advance(&self, bytes: u64);
    /// The transfer ended (well or not).
    fn finish(&self);
}

/// A shared progress sink.
pub type SharedProgress = Arc<dyn Progress>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_the_object_within_s3s_limits() {
        let options = TransferOptions::default();
        assert_eq!(options.part_size_for(100 * MIB), 8 * MIB);
        let parts = options.parts(20 * MIB + 3);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2], (3, 16 * MIB, 4 * MIB + 3));
        // 5 TiB: parts grow so that 10,000 are enough.
        let size = MAX_OBJECT_SIZE;
        let part = options.part_size_for(size);
        assert!(size.div_ceil(part) <= MAX_PARTS && part % MIB == 0);
        let small = TransferOptions {
            part_size: MIB,
            ..options
        };
        assert_eq!(small.part_size_for(10 * MIB), MIN_PART_SIZE);
        assert!(options.parts(0).is_empty());
    }
}
