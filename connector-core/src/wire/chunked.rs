//! The aws-chunked body encoding (`Content-Encoding: aws-chunked`): a body sent as frames of
//! `chunk_size` bytes, hashed while it passes, with its checksum in a trailer after the last
//! frame (AWS "sigv4-streaming" and "sigv4-streaming-trailers"; botocore's `AwsChunkedWrapper`).
//!
//! Three forms, named by the request's `x-amz-content-sha256` ([`ChunkedMode`]):
//! ```text
//! UnsignedWithTrailer  <hex n>\r\n<n bytes>\r\n … 0\r\nx-amz-checksum-crc32c:<b64>\r\n\r\n
//! Signed               <hex n>;chunk-signature=<sig>\r\n<n bytes>\r\n … 0;chunk-signature=<sig>\r\n\r\n
//! SignedWithTrailer    <hex n>;chunk-signature=<sig>\r\n<n bytes>\r\n … 0;chunk-signature=<sig>\r\n
//!                      x-amz-checksum-crc32c:<b64>\r\nx-amz-trailer-signature:<sig>\r\n\r\n
//! ```
//! Every data frame holds `chunk_size` bytes but the last (smaller), then comes the empty final
//! frame; an empty body is the final frame alone. The request's `Content-Length` is
//! [`encoded_len`], known before a byte is read; `x-amz-decoded-content-length` is the body's own
//! length.
//!
//! [`ChunkedBody`] turns a stream of body pieces (of any size) into these frames in one pass,
//! without copying the data: it yields each frame's header, the data pieces themselves and the
//! frame's end as separate [`Bytes`]. The finished checksum is given to the caller through
//! [`SentChecksum`]. A body is encoded once; a retried request builds a new [`ChunkedBody`] (and,
//! when signed, a new [`ChunkSigner`] from its new seed).

use crate::error::{Error, Result};
use crate::wire::checksum::{ChecksumAlgorithm, Digest, Hasher};
use crate::wire::signer::{
    ChunkSigner, STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER,
};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::Digest as _;
use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

/// The chunk size the AWS SDKs use and AWS recommends (at least 64 KB): 64 KiB.
pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;

/// The smallest chunk S3 takes, but for the last one: 8 KiB.
pub const MIN_CHUNK_SIZE: usize = 8 * 1024;

/// `;chunk-signature=`, between a signed frame's size and its signature.
const CHUNK_SIGNATURE: &str = ";chunk-signature=";

/// The trailer line naming the trailer's own signature, without its value.
const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature:";

/// A signature's length in hex digits.
const SIGNATURE_HEX_LEN: u64 = 64;

/// Which of the three aws-chunked forms a body takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkedMode {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: every frame signed, no trailer.
    Signed,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: every frame signed, then the checksum in a
    /// signed trailer.
    SignedWithTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: plain frames, then the checksum in a trailer (for
    /// HTTPS, where TLS already protects the bytes).
    UnsignedWithTrailer,
}

impl ChunkedMode {
    /// The request's `x-amz-content-sha256` (the payload hash its headers are signed with).
    pub fn content_sha256(self) -> &'static str {
        match self {
            ChunkedMode::Signed => STREAMING_SIGNED_PAYLOAD,
            ChunkedMode::SignedWithTrailer => STREAMING_SIGNED_PAYLOAD_TRAILER,
            ChunkedMode::UnsignedWithTrailer => STREAMING_UNSIGNED_PAYLOAD_TRAILER,
        }
    }

    /// Whether every frame carries a `chunk-signature` (a [`ChunkSigner`] is needed).
    pub fn is_signed(self) -> bool {
        matches!(self, ChunkedMode::Signed | ChunkedMode::SignedWithTrailer)
    }

    /// Whether the checksum follows the final frame (the request then names it in
    /// `x-amz-trailer`).
    pub fn has_trailer(self) -> bool {
        matches!(
            self,
            ChunkedMode::SignedWithTrailer | ChunkedMode::UnsignedWithTrailer
        )
    }
}

/// The exact encoded length (the request's `Content-Length`) of a body of `decoded_len` bytes
/// sent in `chunk_size` frames in `mode`, with a `trailer` checksum of that algorithm (ignored
/// when the mode has no trailer).
///
/// `chunk_size` must not be 0.
pub fn encoded_len(
    decoded_len: u64,
    chunk_size: usize,
    mode: ChunkedMode,
    trailer: ChecksumAlgorithm,
) -> u64 {
    let chunk_size = chunk_size as u64;
    let full_chunks = decoded_len / chunk_size;
    let last = decoded_len % chunk_size;
    let signature = if mode.is_signed() {
        CHUNK_SIGNATURE.len() as u64 + SIGNATURE_HEX_LEN
    } else {
        0
    };
    // "<hex n>[;chunk-signature=<sig>]\r\n<data>\r\n"
    let frame = |n: u64| hex_digits(n) + signature + 2 + n + 2;
    let mut len = full_chunks * frame(chunk_size);
    if last > 0 {
        len += frame(last);
    }
    // "0[;chunk-signature=<sig>]\r\n"
    len += 1 + signature + 2;
    if mode.has_trailer() {
        len += trailer_line_len(trailer);
        if mode.is_signed() {
            len += TRAILER_SIGNATURE.len() as u64 + SIGNATURE_HEX_LEN + 2;
        }
    }
    // The blank line ending the body.
    len + 2
}

/// The length of `x-amz-checksum-<alg>:<base64>\r\n`.
fn trailer_line_len(algorithm: ChecksumAlgorithm) -> u64 {
    let base64_len = algorithm.digest_len().div_ceil(3) * 4;
    (algorithm.header_name().len() + 1 + base64_len + 2) as u64
}

/// How many hex digits `n` takes (1 for 0).
fn hex_digits(n: u64) -> u64 {
    u64::from((64 - n.leading_zeros()).div_ceil(4).max(1))
}

/// Where the checksum of a [`ChunkedBody`] appears once every byte has been read: shared with
/// the caller, who reads it after the request was sent.
#[derive(Debug, Clone, Default)]
pub struct SentChecksum(Arc<OnceLock<Digest>>);

impl SentChecksum {
    /// The digest of the whole body, once the body has been read to its end (before that, or
    /// when the body failed, `None`).
    pub fn get(&self) -> Option<Digest> {
        self.0.get().copied()
    }
}

/// What the encoder is asked to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkedLayout {
    /// The form of the frames.
    pub mode: ChunkedMode,
    /// The checksum computed over the body (sent in the trailer when the mode has one).
    pub checksum: ChecksumAlgorithm,
    /// Data bytes per frame but the last (at least [`MIN_CHUNK_SIZE`]).
    pub chunk_size: usize,
    /// The body's length (`x-amz-decoded-content-length`); a body that gives more or fewer
    /// bytes fails the stream.
    pub decoded_len: u64,
}

impl ChunkedLayout {
    /// The encoded length: the request's `Content-Length` ([`encoded_len`]).
    pub fn encoded_len(&self) -> u64 {
        encoded_len(self.decoded_len, self.chunk_size, self.mode, self.checksum)
    }
}

/// An aws-chunked body: a [`Stream`] of the encoded bytes of `body` (a stream of pieces of any
/// size, e.g. a file read by `tokio_util::io::ReaderStream`), made in one pass. Each piece is
/// added to the checksum (and, when signed, to its frame's SHA-256) as it arrives; the data goes
/// out as the same [`Bytes`], between a frame header and a frame end of its own.
///
/// An error of `body` ends the stream with that error; so does a body whose length is not the
/// layout's `decoded_len` (`InvalidData`: the `Content-Length` sent would be wrong).
pub struct ChunkedBody<S> {
    body: S,
    layout: ChunkedLayout,
    signer: Option<ChunkSigner>,
    hasher: Option<Hasher>,
    /// Body pieces read but not yet framed, and their total length.
    pending: VecDeque<Bytes>,
    pending_len: usize,
    /// Bytes of body read so far.
    read: u64,
    body_done: bool,
    /// Encoded pieces ready to yield.
    out: VecDeque<Bytes>,
    finished: bool,
    sent: SentChecksum,
}

impl<S> ChunkedBody<S>
where
    S: Stream<Item = io::Result<Bytes>> + Unpin,
{
    /// Encodes `body` as `layout` says; `signer` signs the frames (and trailer) and is needed
    /// exactly when the mode is signed ([`Signer::chunk_signer`](crate::wire::signer::Signer::chunk_signer),
    /// seeded with this request's signature).
    pub fn new(body: S, layout: ChunkedLayout, signer: Option<ChunkSigner>) -> Result<Self> {
        if layout.chunk_size < MIN_CHUNK_SIZE {
            return Err(Error::invalid_input(
                "chunk_size",
                format!(
                    "an aws-chunked chunk size of {} bytes is below S3's minimum of {MIN_CHUNK_SIZE}: use at least {MIN_CHUNK_SIZE} (default {DEFAULT_CHUNK_SIZE})",
                    layout.chunk_size
                ),
            ));
        }
        if layout.mode.is_signed() != signer.is_some() {
            return Err(Error::invalid_input(
                "payload_signing",
                format!(
                    "the aws-chunked form {} {} a chunk signer",
                    layout.mode.content_sha256(),
                    if layout.mode.is_signed() {
                        "needs"
                    } else {
                        "takes no"
                    }
                ),
            ));
        }
        Ok(ChunkedBody {
            body,
            layout,
            signer,
            hasher: Some(Hasher::new(layout.checksum)),
            pending: VecDeque::new(),
            pending_len: 0,
            read: 0,
            body_done: false,
            out: VecDeque::new(),
            finished: false,
            sent: SentChecksum::default(),
        })
    }

    /// Where the body's checksum appears once it has been read to its end.
    pub fn sent_checksum(&self) -> SentChecksum {
        self.sent.clone()
    }

    /// The encoded length ([`ChunkedLayout::encoded_len`]).
    pub fn encoded_len(&self) -> u64 {
        self.layout.encoded_len()
    }

    /// Frames the next `n` pending bytes (`0 < n <= pending_len`).
    fn frame_chunk(&mut self, n: usize) {
        let mut frame_sha256 = self.signer.as_ref().map(|_| sha2::Sha256::new());
        let mut data = Vec::with_capacity(self.pending.len().min(4));
        let mut left = n;
        while left > 0 {
            let mut piece = self.pending.pop_front().expect("pending holds n bytes");
            if piece.len() > left {
                self.pending.push_front(piece.split_off(left));
            }
            left -= piece.len();
            if let Some(hasher) = &mut self.hasher {
                hasher.update(&piece);
            }
            if let Some(sha256) = &mut frame_sha256 {
                sha256.update(&piece);
            }
            data.push(piece);
        }
        self.pending_len -= n;
        let mut header = format!("{n:x}");
        if let (Some(signer), Some(sha256)) = (&mut self.signer, frame_sha256) {
            header.push_str(CHUNK_SIGNATURE);
            header.push_str(signer.sign_chunk_sha256(&sha256.finalize().into()));
        }
        header.push_str("\r\n");
        self.out.push_back(Bytes::from(header));
        self.out.extend(data);
        self.out.push_back(Bytes::from_static(b"\r\n"));
    }

    /// The final empty frame, the trailer and the closing blank line; publishes the checksum.
    fn frame_end(&mut self) {
        let digest = self.hasher.take().expect("the end is framed once").finish();
        let mut tail = String::from("0");
        if let Some(signer) = &mut self.signer {
            tail.push_str(CHUNK_SIGNATURE);
            tail.push_str(signer.sign_chunk(b""));
        }
        tail.push_str("\r\n");
        if self.layout.mode.has_trailer() {
            let name = digest.algorithm().header_name();
            let value = digest.to_base64();
            tail.push_str(name);
            tail.push(':');
            tail.push_str(&value);
            tail.push_str("\r\n");
            if let Some(signer) = &mut self.signer {
                tail.push_str(TRAILER_SIGNATURE);
                tail.push_str(signer.sign_trailer(&[(name, &value)]));
                tail.push_str("\r\n");
            }
        }
        tail.push_str("\r\n");
        self.out.push_back(Bytes::from(tail));
        let _ = self.sent.0.set(digest);
    }

    /// Ends the stream with `error`.
    fn fail(&mut self, error: io::Error) -> Poll<Option<io::Result<Bytes>>> {
        self.finished = true;
        self.out.clear();
        self.pending.clear();
        Poll::Ready(Some(Err(error)))
    }

    fn wrong_length(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "the body gave {}{} bytes where {} were declared (did the file change while it was read?)",
                if self.body_done { "" } else { "more than " },
                self.read,
                self.layout.decoded_len
            ),
        )
    }
}

impl<S> Stream for ChunkedBody<S>
where
    S: Stream<Item = io::Result<Bytes>> + Unpin,
{
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(bytes) = this.out.pop_front() {
                return Poll::Ready(Some(Ok(bytes)));
            }
            if this.finished {
                return Poll::Ready(None);
            }
            let chunk_size = this.layout.chunk_size;
            while !this.body_done && this.pending_len < chunk_size {
                match this.body.poll_next_unpin(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(None) => this.body_done = true,
                    Poll::Ready(Some(Err(error))) => return this.fail(error),
                    Poll::Ready(Some(Ok(piece))) => {
                        this.read += piece.len() as u64;
                        if this.read > this.layout.decoded_len {
                            let error = this.wrong_length();
                            return this.fail(error);
                        }
                        if !piece.is_empty() {
                            this.pending_len += piece.len();
                            this.pending.push_back(piece);
                        }
                    }
                }
            }
            if this.pending_len > 0 {
                this.frame_chunk(this.pending_len.min(chunk_size));
            } else if this.read != this.layout.decoded_len {
                let error = this.wrong_length();
                return this.fail(error);
            } else {
                this.frame_end();
                this.finished = true;
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.out.len(), None)
    }
}

impl<S> std::fmt::Debug for ChunkedBody<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkedBody")
            .field("layout", &self.layout)
            .field("read", &self.read)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    //! AWS's published aws-chunked bodies (sigv4-streaming.html, sigv4-streaming-trailers.html:
    //! 66,560 bytes of `a` in 64 KiB chunks, their chunk and trailer signatures as asserted in
    //! `signer.rs`), and [`encoded_len`] against the bytes really produced.
    use super::*;
    use crate::wire::credentials::Credentials;
    use crate::wire::signer::Signer;
    use std::time::{Duration, UNIX_EPOCH};

    const AWS_BODY_LEN: usize = 66_560;

    /// A chunk signer of AWS's examples (their keys, 2013-05-24, us-east-1) from `seed`.
    fn aws_example_signer(seed: &str) -> ChunkSigner {
        let creds = Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            None,
        );
        Signer::s3("us-east-1").chunk_signer(
            &creds,
            UNIX_EPOCH + Duration::from_secs(1_369_353_600),
            seed,
        )
    }

    /// `body` given to the encoder in pieces of the sizes `pieces` cycles through.
    fn pieces_of(body: &[u8], pieces: &[usize]) -> Vec<io::Result<Bytes>> {
        let body = Bytes::copy_from_slice(body);
        let mut out = Vec::new();
        let mut at = 0;
        for size in pieces.iter().cycle() {
            if at >= body.len() {
                break;
            }
            let end = (at + size).min(body.len());
            out.push(Ok(body.slice(at..end)));
            at = end;
        }
        out
    }

    /// Encodes `body` split in `pieces`, returning the yielded items and the checksum slot.
    fn encode_items(
        body: Vec<io::Result<Bytes>>,
        layout: ChunkedLayout,
        signer: Option<ChunkSigner>,
    ) -> (Vec<io::Result<Bytes>>, SentChecksum) {
        let encoder = ChunkedBody::new(futures_util::stream::iter(body), layout, signer).unwrap();
        let sent = encoder.sent_checksum();
        assert_eq!(sent.get(), None, "no checksum before the body is read");
        let items = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(encoder.collect::<Vec<_>>());
        (items, sent)
    }

    /// The encoded body as one buffer (every item must be `Ok`).
    fn encode(
        body: &[u8],
        pieces: &[usize],
        layout: ChunkedLayout,
        signer: Option<ChunkSigner>,
    ) -> (Vec<u8>, SentChecksum) {
        let (items, sent) = encode_items(pieces_of(body, pieces), layout, signer);
        let mut out = Vec::new();
        for item in items {
            out.extend_from_slice(&item.unwrap());
        }
        (out, sent)
    }

    fn aws_layout(mode: ChunkedMode) -> ChunkedLayout {
        ChunkedLayout {
            mode,
            checksum: ChecksumAlgorithm::Crc32c,
            chunk_size: DEFAULT_CHUNK_SIZE,
            decoded_len: AWS_BODY_LEN as u64,
        }
    }

    /// The example body framed: `65_536 × a`, `1_024 × a`, each after its header.
    fn aws_frames(first_header: &str, second_header: &str, tail: &str) -> Vec<u8> {
        let mut expected = Vec::new();
        expected.extend_from_slice(first_header.as_bytes());
        expected.extend_from_slice(&[b'a'; 65_536]);
        expected.extend_from_slice(b"\r\n");
        expected.extend_from_slice(second_header.as_bytes());
        expected.extend_from_slice(&[b'a'; 1_024]);
        expected.extend_from_slice(b"\r\n");
        expected.extend_from_slice(tail.as_bytes());
        expected
    }

    #[test]
    fn aws_example_signed_body() {
        let layout = aws_layout(ChunkedMode::Signed);
        let signer =
            aws_example_signer("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
        let (body, sent) = encode(&[b'a'; AWS_BODY_LEN], &[4096], layout, Some(signer));
        let expected = aws_frames(
            "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n",
            "400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n",
            "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n",
        );
        assert_eq!(body.len(), 66_824, "AWS's Content-Length");
        assert_eq!(layout.encoded_len(), 66_824);
        assert!(
            body == expected,
            "{}",
            String::from_utf8_lossy(&body[..200])
        );
        assert_eq!(sent.get().unwrap().to_base64(), "sOO8/Q==");
    }

    #[test]
    fn aws_example_signed_body_with_trailer() {
        let layout = aws_layout(ChunkedMode::SignedWithTrailer);
        let signer =
            aws_example_signer("106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e");
        let (body, sent) = encode(&[b'a'; AWS_BODY_LEN], &[65_537, 3], layout, Some(signer));
        let expected = aws_frames(
            "10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n",
            "400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n",
            "0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n\
             x-amz-checksum-crc32c:sOO8/Q==\r\n\
             x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n",
        );
        assert!(
            body == expected,
            "{}",
            String::from_utf8_lossy(&body[66_600..])
        );
        assert_eq!(body.len(), 66_946);
        assert_eq!(layout.encoded_len(), 66_946);
        assert_eq!(sent.get().unwrap().to_base64(), "sOO8/Q==");
    }

    /// A body S3 accepted (200, `x-amz-checksum-crc32: sK4Y7A==`): smithy-rs's recording of the
    /// Rust SDK's PutObject with signed chunks and a CRC32 trailer (`aws/sdk/integration-tests/
    /// s3/tests/data/chunk_signing/chunk-signing.json`, smithy-lang/smithy-rs 3093eb5), frame by
    /// frame. (The recording's `content-length` header, 66,612, is not this body's length.)
    #[test]
    fn smithy_rs_recorded_signed_body_with_crc32_trailer() {
        let creds = Credentials::new("ANOTREAL", "notrealrnrELgWzOk3IfjzDKtFBhDby", None);
        let signer = Signer::s3("us-east-1").chunk_signer(
            &creds,
            UNIX_EPOCH + Duration::from_secs(1_234_567_890),
            "9ba9e547d2c00dbbaef27ab3ec2176ce525fddb6bdf055b39ad325d5353a8f93",
        );
        let layout = ChunkedLayout {
            checksum: ChecksumAlgorithm::Crc32,
            ..aws_layout(ChunkedMode::SignedWithTrailer)
        };
        let (body, sent) = encode(&[b'a'; AWS_BODY_LEN], &[65_536], layout, Some(signer));
        let expected = aws_frames(
            "10000;chunk-signature=49730237b2d2993984da70928be825eafe3804b8296e2625dbc982c701c1c1ab\r\n",
            "400;chunk-signature=de013414680387ed9946e49b914dcea81e7ca2f133bbc430db1043497e001a3e\r\n",
            "0;chunk-signature=039b89e4d219772e3f3da890feb2afe19802c62d547ba01cf1227a0680b3ee73\r\n\
             x-amz-checksum-crc32:sK4Y7A==\r\n\
             x-amz-trailer-signature:548667c75c3e63e3232a0c18bb14b460d498b0cdcd6d640cc5933e057cb0f132\r\n\r\n",
        );
        assert!(
            body == expected,
            "{}",
            String::from_utf8_lossy(&body[66_600..])
        );
        assert_eq!(layout.encoded_len(), body.len() as u64);
        assert_eq!(sent.get().unwrap().to_base64(), "sK4Y7A==");
    }

    #[test]
    fn aws_example_unsigned_body_with_trailer() {
        let layout = aws_layout(ChunkedMode::UnsignedWithTrailer);
        let (body, _) = encode(&[b'a'; AWS_BODY_LEN], &[1000, 7], layout, None);
        let expected = aws_frames(
            "10000\r\n",
            "400\r\n",
            "0\r\nx-amz-checksum-crc32c:sOO8/Q==\r\n\r\n",
        );
        assert!(
            body == expected,
            "{}",
            String::from_utf8_lossy(&body[66_500..])
        );
        assert_eq!(body.len(), 66_613);
        assert_eq!(layout.encoded_len(), 66_613);
    }

    /// For every size, mode, algorithm and way of cutting the input: the bytes produced are as
    /// long as `encoded_len` says, they decode back to the body in `chunk_size` frames, and the
    /// checksum is the algorithm's over the whole body.
    #[test]
    fn encoded_len_is_the_length_produced() {
        let mut rng = fastrand::Rng::with_seed(11);
        let modes = [
            ChunkedMode::Signed,
            ChunkedMode::SignedWithTrailer,
            ChunkedMode::UnsignedWithTrailer,
        ];
        for size in [0usize, 1, 8191, 65_536, 65_537, 200_000] {
            let mut data = vec![0u8; size];
            rng.fill(&mut data);
            for mode in modes {
                for algorithm in ChecksumAlgorithm::ALL {
                    for pieces in [&[size.max(1)][..], &[1, 4095, 65_537], &[7, 64 * 1024 + 13]] {
                        for chunk_size in [MIN_CHUNK_SIZE, DEFAULT_CHUNK_SIZE] {
                            let layout = ChunkedLayout {
                                mode,
                                checksum: algorithm,
                                chunk_size,
                                decoded_len: size as u64,
                            };
                            let signer = mode
                                .is_signed()
                                .then(|| aws_example_signer(&"0".repeat(64)));
                            let (body, sent) = encode(&data, pieces, layout, signer);
                            let case = format!(
                                "{size} bytes, {mode:?}, {algorithm}, pieces {pieces:?}, chunk {chunk_size}"
                            );
                            assert_eq!(body.len() as u64, layout.encoded_len(), "{case}");
                            let digest = sent.get().expect("checksum after the end");
                            assert_eq!(digest, algorithm.digest(&data), "{case}");
                            assert_eq!(decode(&body, mode, chunk_size, &digest), data, "{case}");
                        }
                    }
                }
            }
        }
    }

    /// Reads an encoded body back, checking its framing: every frame but the last
    /// `chunk_size` long, signatures where signed, the trailer carrying `digest`.
    fn decode(mut body: &[u8], mode: ChunkedMode, chunk_size: usize, digest: &Digest) -> Vec<u8> {
        let mut data = Vec::new();
        let mut last_len = chunk_size;
        loop {
            let line_end = body.windows(2).position(|w| w == b"\r\n").unwrap();
            let line = std::str::from_utf8(&body[..line_end]).unwrap();
            body = &body[line_end + 2..];
            let (size, signature) = match line.split_once(";chunk-signature=") {
                Some((size, signature)) => (size, Some(signature)),
                None => (line, None),
            };
            assert_eq!(signature.is_some(), mode.is_signed(), "{line}");
            assert!(signature.is_none_or(|s| s.len() == 64), "{line}");
            let n = usize::from_str_radix(size, 16).unwrap();
            assert_eq!(
                size,
                format!("{n:x}"),
                "sizes in lower-case hex, no leading zeros"
            );
            if n == 0 {
                break;
            }
            assert_eq!(last_len, chunk_size, "a short frame before another");
            assert!(n <= chunk_size);
            data.extend_from_slice(&body[..n]);
            assert_eq!(&body[n..n + 2], b"\r\n");
            body = &body[n + 2..];
            last_len = n;
        }
        let mut tail = String::new();
        if mode.has_trailer() {
            tail = format!(
                "{}:{}\r\n",
                digest.algorithm().header_name(),
                digest.to_base64()
            );
        }
        let tail_text = std::str::from_utf8(body).unwrap();
        assert!(tail_text.starts_with(&tail), "{tail_text}");
        let rest = &tail_text[tail.len()..];
        if mode == ChunkedMode::SignedWithTrailer {
            assert!(
                rest.starts_with(TRAILER_SIGNATURE) && rest.len() == 24 + 64 + 4,
                "{rest}"
            );
        } else {
            assert_eq!(rest, "\r\n");
        }
        data
    }

    /// The send path's way: a file read by `ReaderStream`, encoded, handed to reqwest as a body;
    /// what reqwest would send is the encoding of the file.
    #[test]
    fn a_file_streams_through_reqwest() {
        let mut data = vec![0u8; 150_001];
        fastrand::Rng::with_seed(3).fill(&mut data);
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, &data).unwrap();
        let layout = ChunkedLayout {
            mode: ChunkedMode::UnsignedWithTrailer,
            checksum: ChecksumAlgorithm::Crc64Nvme,
            chunk_size: DEFAULT_CHUNK_SIZE,
            decoded_len: data.len() as u64,
        };
        let (expected, _) = encode(&data, &[data.len()], layout, None);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (sent, checksum) = runtime.block_on(async {
            let reader = tokio::fs::File::open(file.path()).await.unwrap();
            let stream = tokio_util::io::ReaderStream::with_capacity(reader, 10_000);
            let encoder = ChunkedBody::new(stream, layout, None).unwrap();
            let checksum = encoder.sent_checksum();
            let body = reqwest::Body::wrap_stream(encoder);
            let mut frames = http_body_util::BodyDataStream::new(body);
            let mut sent = Vec::new();
            while let Some(frame) = frames.next().await {
                sent.extend_from_slice(&frame.unwrap());
            }
            (sent, checksum)
        });
        assert!(sent == expected);
        assert_eq!(sent.len() as u64, layout.encoded_len());
        assert_eq!(
            checksum.get(),
            Some(ChecksumAlgorithm::Crc64Nvme.digest(&data))
        );
    }

    /// Empty reads change nothing: no empty data frame before the final one.
    #[test]
    fn empty_pieces_are_skipped() {
        let layout = ChunkedLayout {
            decoded_len: 9000,
            ..aws_layout(ChunkedMode::UnsignedWithTrailer)
        };
        let data = Bytes::from(vec![b'z'; 9000]);
        let body = vec![
            Ok(Bytes::new()),
            Ok(data.slice(..4000)),
            Ok(Bytes::new()),
            Ok(data.slice(4000..)),
            Ok(Bytes::new()),
        ];
        let (items, _) = encode_items(body, layout, None);
        let encoded: Vec<u8> = items.into_iter().flat_map(|item| item.unwrap()).collect();
        assert_eq!(encode(&data, &[9000], layout, None).0, encoded);
        assert!(encoded.starts_with(b"2328\r\nzzz"));
        assert!(items_are_not_empty(&encoded));
    }

    /// No `0\r\n` frame but the last.
    fn items_are_not_empty(encoded: &[u8]) -> bool {
        encoded.windows(5).filter(|w| w == b"\r\n0\r\n").count() == 1
    }

    #[test]
    fn data_pieces_are_yielded_without_copying() {
        let body = Bytes::from(vec![b'x'; 100_000]);
        let layout = ChunkedLayout {
            mode: ChunkedMode::UnsignedWithTrailer,
            checksum: ChecksumAlgorithm::Crc32,
            chunk_size: DEFAULT_CHUNK_SIZE,
            decoded_len: 100_000,
        };
        let (items, _) = encode_items(vec![Ok(body.clone())], layout, None);
        let items: Vec<Bytes> = items.into_iter().map(Result::unwrap).collect();
        let start = body.as_ptr() as usize;
        let shared: Vec<usize> = items
            .iter()
            .filter(|item| (start..start + body.len()).contains(&(item.as_ptr() as usize)))
            .map(Bytes::len)
            .collect();
        assert_eq!(shared, [65_536, 100_000 - 65_536]);
    }

    #[test]
    fn a_body_of_another_length_fails_the_stream() {
        for (given, declared) in [(1000usize, 1001u64), (1001, 1000), (0, 1), (70_000, 65_536)] {
            let layout = ChunkedLayout {
                mode: ChunkedMode::UnsignedWithTrailer,
                checksum: ChecksumAlgorithm::Crc32c,
                chunk_size: DEFAULT_CHUNK_SIZE,
                decoded_len: declared,
            };
            let (items, sent) = encode_items(pieces_of(&vec![0; given], &[300]), layout, None);
            let error = items.last().unwrap().as_ref().unwrap_err();
            assert_eq!(
                error.kind(),
                io::ErrorKind::InvalidData,
                "{given} vs {declared}"
            );
            assert!(error.to_string().contains(&declared.to_string()), "{error}");
            assert_eq!(items.iter().filter(|item| item.is_err()).count(), 1);
            assert_eq!(sent.get(), None);
        }
    }

    #[test]
    fn a_read_error_ends_the_stream_without_a_checksum() {
        let layout = ChunkedLayout {
            mode: ChunkedMode::UnsignedWithTrailer,
            checksum: ChecksumAlgorithm::Crc32c,
            chunk_size: MIN_CHUNK_SIZE,
            decoded_len: 20_000,
        };
        let body = vec![
            Ok(Bytes::from(vec![1; 10_000])),
            Err(io::Error::other("disk gone")),
            Ok(Bytes::from(vec![1; 10_000])),
        ];
        let (items, sent) = encode_items(body, layout, None);
        assert_eq!(
            items.last().unwrap().as_ref().unwrap_err().to_string(),
            "disk gone"
        );
        assert_eq!(sent.get(), None);
    }

    #[test]
    fn refuses_small_chunks_and_a_signer_that_does_not_fit_the_mode() {
        let stream = || futures_util::stream::iter(Vec::<io::Result<Bytes>>::new());
        let mut layout = aws_layout(ChunkedMode::UnsignedWithTrailer);
        layout.chunk_size = MIN_CHUNK_SIZE - 1;
        let error = ChunkedBody::new(stream(), layout, None).unwrap_err();
        assert_eq!(error.field(), Some("chunk_size"));
        layout.chunk_size = MIN_CHUNK_SIZE;
        assert!(ChunkedBody::new(stream(), layout, Some(aws_example_signer("0"))).is_err());
        layout.mode = ChunkedMode::Signed;
        assert!(ChunkedBody::new(stream(), layout, None).is_err());
    }

    #[test]
    fn modes_name_their_payload_literal() {
        assert_eq!(
            ChunkedMode::Signed.content_sha256(),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        );
        assert_eq!(
            ChunkedMode::SignedWithTrailer.content_sha256(),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
        );
        assert_eq!(
            ChunkedMode::UnsignedWithTrailer.content_sha256(),
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
        );
    }

    #[test]
    fn hex_digits_of_sizes() {
        for n in [0u64, 1, 15, 16, 255, 256, 65_535, 65_536, u64::MAX] {
            assert_eq!(hex_digits(n), format!("{n:x}").len() as u64, "{n}");
        }
    }
}
