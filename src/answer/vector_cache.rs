//! The phrasings' sentence vectors on disk, so that a restart or a reload
//! runs the model only on phrasings it has not seen.
//!
//! One file per model, `vectors-<model id>.bin` in the cache folder: an
//! 8-byte magic, then records of a 16-byte key (the first half of the
//! SHA-256 of the text the model read) and the vector as little-endian
//! `f32`s. New vectors are appended in one write; a torn last record (a
//! crash mid-write) is ignored, and a file that is not a cache is replaced.
//! Any failure to read or write only costs time: it is logged, and the
//! vectors are computed.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"FAQBOTV1";

type Key = [u8; 16];

/// The vectors one model has computed before.
#[derive(Debug)]
pub struct VectorCache {
    file: Option<PathBuf>,
    dim: usize,
    known: HashMap<Key, Vec<f32>>,
}

fn key(text: &str) -> Key {
    let digest = Sha256::digest(text.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&digest[..16]);
    k
}

impl VectorCache {
    /// No cache: every vector is computed.
    pub fn none(dim: usize) -> VectorCache {
        VectorCache {
            file: None,
            dim,
            known: HashMap::new(),
        }
    }

    /// The cache of model `model_id` (vectors of `dim` numbers) in `dir`.
    pub fn open(dir: &Path, model_id: &str, dim: usize) -> VectorCache {
        let file = dir.join(format!("vectors-{model_id}.bin"));
        let mut cache = VectorCache {
            file: Some(file.clone()),
            dim,
            known: HashMap::new(),
        };
        match std::fs::read(&file) {
            Ok(bytes) => cache.read(&bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(file = %file.display(), error = %e, "cannot read the vector cache; computing the vectors");
            }
        }
        cache
    }

    fn read(&mut self, bytes: &[u8]) {
        if !bytes.starts_with(MAGIC) {
            return;
        }
        let record = 16 + 4 * self.dim;
        for r in bytes[MAGIC.len()..].chunks_exact(record) {
            let mut k = [0u8; 16];
            k.copy_from_slice(&r[..16]);
            let v = r[16..]
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            self.known.insert(k, v);
        }
    }

    /// How many vectors the cache holds.
    pub fn len(&self) -> usize {
        self.known.len()
    }

    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// The vector of `text`, if it was computed before.
    pub fn get(&self, text: &str) -> Option<&[f32]> {
        self.known.get(&key(text)).map(Vec::as_slice)
    }

    /// Remembers new vectors (`vectors` holds one after another, in the
    /// order of `texts`) and appends them to the file.
    pub fn add(&mut self, texts: &[&str], vectors: &[f32]) {
        let mut buf = Vec::with_capacity(texts.len() * (16 + 4 * self.dim));
        for (t, v) in texts.iter().zip(vectors.chunks_exact(self.dim)) {
            let k = key(t);
            buf.extend_from_slice(&k);
            v.iter()
                .for_each(|x| buf.extend_from_slice(&x.to_le_bytes()));
            self.known.insert(k, v.to_vec());
        }
        if let Some(file) = &self.file {
            if let Err(e) = append(file, &buf) {
                tracing::warn!(file = %file.display(), error = %e, "cannot write the vector cache; the next start computes these vectors again");
            }
        }
    }
}

fn append(file: &Path, records: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let valid = std::fs::File::open(file).and_then(|mut f| {
        let mut head = [0u8; 8];
        std::io::Read::read_exact(&mut f, &mut head).map(|()| &head == MAGIC)
    });
    let mut out = if valid.unwrap_or(false) {
        std::fs::OpenOptions::new().append(true).open(file)?
    } else {
        // Missing, empty or not a cache: start it anew.
        let mut f = std::fs::File::create(file)?;
        f.write_all(MAGIC)?;
        f
    };
    // One write, so that two processes appending at once do not interleave
    // inside a record.
    out.write_all(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_survive_a_reopen_and_a_torn_record_is_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = VectorCache::open(dir.path(), "m", 2);
        assert!(c.is_empty());
        c.add(&["a", "b"], &[1.0, 2.0, 3.0, 4.0]);
        let c = VectorCache::open(dir.path(), "m", 2);
        assert_eq!(c.get("a"), Some(&[1.0, 2.0][..]));
        assert_eq!(c.get("b"), Some(&[3.0, 4.0][..]));
        assert_eq!(c.get("c"), None);
        // Another model's vectors are another file.
        assert!(VectorCache::open(dir.path(), "other", 2).is_empty());
        // A crash in the middle of a record loses only that record.
        let file = dir.path().join("vectors-m.bin");
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .expect("open");
        f.write_all(&[7u8; 20]).expect("write");
        let c = VectorCache::open(dir.path(), "m", 2);
        assert_eq!(c.len(), 2);
        // A file that is not a cache is replaced on the next write.
        std::fs::write(&file, b"junk").expect("write");
        let mut c = VectorCache::open(dir.path(), "m", 2);
        assert!(c.is_empty());
        c.add(&["a"], &[5.0, 6.0]);
        assert_eq!(
            VectorCache::open(dir.path(), "m", 2).get("a"),
            Some(&[5.0, 6.0][..])
        );
    }
}
