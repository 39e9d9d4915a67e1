//! The kernels regsight's layer verification is made of, over one real layer held in memory: the
//! same code timed natively (`src/main.rs`) and in the browser's wasm (`src/wasm.rs`) by
//! `cargo xtask bench`, so each wasm/native ratio compares one function on the same bytes.

#[cfg(target_arch = "wasm32")]
mod wasm;

use std::io::Read as _;

use regsight_core::verify::{LayerVerifier, VerifyOptions};
use regsight_core::{Algorithm, Digest, Hasher, MediaType};

/// Fetch-sized chunks, as a browser's stream hands them to the verifier.
pub const CHUNK: usize = 64 * 1024;

/// Every kernel, by the name the figures use.
pub const KERNELS: [&str; 5] = ["sha256", "inflate", "zstd", "verify-streamed", "verify-whole"];

/// A kernel that failed or produced other bytes than the layer's truth.
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    /// No kernel has this name.
    #[error("no kernel is named {0:?}; kernels: {KERNELS:?}")]
    Unknown(String),
    /// A digest given on the command line or by the page does not parse.
    #[error("bad digest {0:?}: {1}")]
    BadDigest(String, String),
    /// The layer is not a gzip stream this kernel reads (a 10-byte header without extra fields).
    #[error("the layer does not start with a plain 10-byte gzip header")]
    GzipHeader,
    /// Inflate or zstd decoding failed.
    #[error("{0} failed: {1}")]
    Decode(&'static str, String),
    /// The kernel's output is not the layer's truth.
    #[error("{kernel}: {what}")]
    Wrong {
        /// The kernel.
        kernel: &'static str,
        /// What differs.
        what: String,
    },
}

/// One layer three ways (gzip as served, the tar, the tar through `zstd -3`) and its digests.
pub struct Layer {
    /// The compressed layer blob (gzip).
    pub gzip: Vec<u8>,
    /// The uncompressed tar.
    pub tar: Vec<u8>,
    /// The tar compressed by `zstd`.
    pub zstd: Vec<u8>,
    /// The blob's digest.
    pub digest: Digest,
    /// The tar's digest (the diff_id).
    pub diff_id: Digest,
}

impl Layer {
    /// The layer from its three encodings and its two digests as text (`sha256:...`).
    pub fn new(
        gzip: Vec<u8>,
        tar: Vec<u8>,
        zstd: Vec<u8>,
        digest: &str,
        diff_id: &str,
    ) -> Result<Self, KernelError> {
        let parse =
            |s: &str| s.parse::<Digest>().map_err(|e| KernelError::BadDigest(s.to_owned(), e.to_string()));
        Ok(Self { gzip, tar, zstd, digest: parse(digest)?, diff_id: parse(diff_id)? })
    }

    /// Runs the kernel `name` once and checks its output; returns the bytes it consumed.
    pub fn run(&self, name: &str) -> Result<u64, KernelError> {
        match name {
            "sha256" => self.sha256(),
            "inflate" => self.inflate(),
            "zstd" => self.unzstd(),
            "verify-streamed" => self.verify(CHUNK),
            "verify-whole" => self.verify(self.gzip.len().max(1)),
            other => Err(KernelError::Unknown(other.to_owned())),
        }
    }

    /// SHA-256 of the tar in fetch-sized chunks (the diff_id pass).
    fn sha256(&self) -> Result<u64, KernelError> {
        let mut hasher = Hasher::new(Algorithm::Sha256);
        for chunk in self.tar.chunks(CHUNK) {
            hasher.update(chunk);
        }
        expect("sha256", &hasher.finalize(), &self.diff_id)?;
        Ok(self.tar.len() as u64)
    }

    /// Raw inflate of the gzip member's deflate stream into one fetch-sized buffer (no hashing).
    fn inflate(&self) -> Result<u64, KernelError> {
        // `gzip -n` writes a 10-byte header with no optional fields (FLG = 0).
        let body = match self.gzip.get(..10) {
            Some([0x1f, 0x8b, 8, 0, ..]) => &self.gzip[10..],
            _ => return Err(KernelError::GzipHeader),
        };
        let mut inflater = flate2::Decompress::new(false);
        let mut out = vec![0u8; CHUNK];
        let mut input = body;
        loop {
            let before = inflater.total_in();
            let status = inflater
                .decompress(input, &mut out, flate2::FlushDecompress::None)
                .map_err(|e| KernelError::Decode("inflate", e.to_string()))?;
            let used = usize::try_from(inflater.total_in() - before).unwrap_or(input.len());
            input = &input[used.min(input.len())..];
            if status == flate2::Status::StreamEnd {
                break;
            }
            if used == 0 && input.is_empty() {
                return Err(KernelError::Decode("inflate", "the stream ends early".to_owned()));
            }
        }
        expect_size("inflate", inflater.total_out(), self.tar.len())?;
        Ok(self.gzip.len() as u64)
    }

    /// zstd decoding (ruzstd, as the verifier) into one fetch-sized buffer (no hashing).
    fn unzstd(&self) -> Result<u64, KernelError> {
        let mut source = &self.zstd[..];
        let mut decoder = ruzstd::decoding::StreamingDecoder::new(&mut source)
            .map_err(|e| KernelError::Decode("zstd", e.to_string()))?;
        let mut out = vec![0u8; CHUNK];
        let mut total = 0u64;
        loop {
            let n = decoder.read(&mut out).map_err(|e| KernelError::Decode("zstd", e.to_string()))?;
            if n == 0 {
                break;
            }
            total += n as u64;
        }
        expect_size("zstd", total, self.tar.len())?;
        Ok(self.zstd.len() as u64)
    }

    /// The core's `LayerVerifier` over the gzip blob fed in `chunk`-sized pieces: both digests,
    /// inflate, the gzip framing; verified or an error.
    fn verify(&self, chunk: usize) -> Result<u64, KernelError> {
        let wrong = |what: String| KernelError::Wrong { kernel: "verify", what };
        let mut verifier = LayerVerifier::new(
            &MediaType::OciLayerGzip,
            self.digest.clone(),
            self.gzip.len() as u64,
            Some(self.diff_id.clone()),
            VerifyOptions::default(),
        )
        .map_err(|e| wrong(e.to_string()))?;
        for piece in self.gzip.chunks(chunk) {
            verifier.update(piece).map_err(|e| wrong(e.to_string()))?;
        }
        let report = verifier.finish();
        if !report.verified {
            return Err(wrong(format!("not verified: {:?}", report.error)));
        }
        Ok(self.gzip.len() as u64)
    }
}

fn expect(kernel: &'static str, got: &Digest, want: &Digest) -> Result<(), KernelError> {
    if got == want {
        Ok(())
    } else {
        Err(KernelError::Wrong { kernel, what: format!("computed {got}, expected {want}") })
    }
}

fn expect_size(kernel: &'static str, got: u64, want: usize) -> Result<(), KernelError> {
    if got == want as u64 {
        Ok(())
    } else {
        Err(KernelError::Wrong { kernel, what: format!("produced {got} bytes, the tar has {want}") })
    }
}
