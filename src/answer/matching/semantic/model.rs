//! The sentence-embedding model: all-MiniLM-L6-v2 (a 6-layer BERT), run
//! in-process by candle, tokenized by the model's own `tokenizer.json`.
//!
//! A sentence's vector is the attention-masked mean of the last hidden
//! states, L2-normalised: the model's own pooling (sentence-transformers'
//! `Pooling` then `Normalize`), so a dot product is a cosine. The bundled
//! model is compiled into the binary ([`Model::bundled`]); another of the
//! same architecture loads from a folder ([`Model::load_dir`]).

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use sha2::{Digest, Sha256};
use tokenizers::{Tokenizer, TruncationParams};

/// The model's files, as the folder of a model names them.
pub const CONFIG_FILE: &str = "config.json";
pub const TOKENIZER_FILE: &str = "tokenizer.json";
pub const WEIGHTS_FILE: &str = "model.safetensors";

/// Where the bundled model lives in the repository (for messages).
const BUNDLED_DIR: &str = "models/all-MiniLM-L6-v2";

static BUNDLED_CONFIG: &[u8] = include_bytes!("../../../../models/all-MiniLM-L6-v2/config.json");
static BUNDLED_TOKENIZER: &[u8] =
    include_bytes!("../../../../models/all-MiniLM-L6-v2/tokenizer.json");
/// The bundled files' SHA-256 sums (`tools/make_model.py` writes them): they
/// name the bundled model without hashing 45 MB of weights at every start.
static BUNDLED_SUMS: &[u8] = include_bytes!("../../../../models/all-MiniLM-L6-v2/SHA256SUMS");
static BUNDLED_WEIGHTS: &[u8] =
    include_bytes!("../../../../models/all-MiniLM-L6-v2/model.safetensors");

/// The model was trained on inputs of at most this many tokens
/// (`sentence_bert_config.json`'s `max_seq_length`); longer text is cut.
pub const MAX_TOKENS: usize = 256;

/// Phrasings are embedded this many at a time: one forward pass per batch
/// (sorted by length, so that little padding is computed).
const BATCH: usize = 32;

/// How many recent questions' vectors the model keeps (1.5 kB each): a
/// vector depends only on the text, so every FAQ using the model shares
/// them, and a question asked again costs a look-up.
const RECENT_QUESTIONS: usize = 4096;

/// A model file that cannot be used, named, with what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelError {
    pub file: PathBuf,
    pub message: String,
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "model file {}: {}", self.file.display(), self.message)
    }
}

impl std::error::Error for ModelError {}

/// A loaded model: the BERT encoder and its tokenizer.
pub struct Model {
    bert: BertModel,
    tokenizer: Tokenizer,
    /// Names this model's weights and tokenizer: the embedding cache is
    /// keyed by it, so that vectors of one model are never read as another's.
    id: String,
    dim: usize,
    recent: Mutex<lru::LruCache<String, Arc<[f32]>>>,
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field("id", &self.id)
            .field("dim", &self.dim)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// The model compiled into the binary.
    pub fn bundled() -> Result<Model, ModelError> {
        let dir = Path::new(BUNDLED_DIR);
        Model::from_bytes(
            dir,
            short_hash(&[BUNDLED_SUMS]),
            BUNDLED_CONFIG,
            BUNDLED_TOKENIZER,
            BUNDLED_WEIGHTS,
        )
    }

    /// A model of the same architecture from a folder holding
    /// [`CONFIG_FILE`], [`TOKENIZER_FILE`] and [`WEIGHTS_FILE`].
    pub fn load_dir(dir: &Path) -> Result<Model, ModelError> {
        let read = |name: &str| {
            let file = dir.join(name);
            std::fs::read(&file).map_err(|e| ModelError {
                message: format!("cannot read: {e}"),
                file,
            })
        };
        let config = read(CONFIG_FILE)?;
        let tokenizer = read(TOKENIZER_FILE)?;
        let weights = read(WEIGHTS_FILE)?;
        let id = short_hash(&[&config, &tokenizer, &weights]);
        Model::from_bytes(dir, id, &config, &tokenizer, &weights)
    }

    fn from_bytes(
        dir: &Path,
        id: String,
        config: &[u8],
        tokenizer: &[u8],
        weights: &[u8],
    ) -> Result<Model, ModelError> {
        let fail = |name: &str, message: String| ModelError {
            file: dir.join(name),
            message,
        };
        let bert_config: BertConfig = serde_json::from_slice(config)
            .map_err(|e| fail(CONFIG_FILE, format!("not a BERT config: {e}")))?;
        let mut tok = Tokenizer::from_bytes(tokenizer)
            .map_err(|e| fail(TOKENIZER_FILE, format!("not a tokenizer: {e}")))?;
        // The shipped tokenizer pads every input to 128 tokens: batches
        // are padded here instead, to their longest member.
        tok.with_padding(None);
        tok.with_truncation(Some(TruncationParams {
            max_length: MAX_TOKENS,
            ..TruncationParams::default()
        }))
        .map_err(|e| fail(TOKENIZER_FILE, format!("cannot truncate: {e}")))?;

        let device = Device::Cpu;
        let weights_error = |e: candle_core::Error| fail(WEIGHTS_FILE, e.to_string());
        let tensors =
            candle_core::safetensors::load_buffer(weights, &device).map_err(weights_error)?;
        let tensors = for_small_batches(tensors).map_err(weights_error)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &device);
        let bert = BertModel::load(vb, &bert_config).map_err(weights_error)?;
        let model = Model {
            bert,
            tokenizer: tok,
            id,
            dim: bert_config.hidden_size,
            recent: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(RECENT_QUESTIONS).unwrap_or(NonZeroUsize::MIN),
            )),
        };
        // Weights that load but compute nonsense (a truncated or altered
        // file) show here, at start, not as bad answers later.
        let probe = model
            .embed(&["is the model working"])
            .map_err(|e| fail(WEIGHTS_FILE, e.to_string()))?;
        if probe.iter().any(|x| !x.is_finite()) {
            return Err(fail(
                WEIGHTS_FILE,
                "the weights give non-finite vectors (a corrupt file?)".into(),
            ));
        }
        Ok(model)
    }

    /// A short hex name of this model's files, for cache keys.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The length of a sentence vector (384 for all-MiniLM-L6-v2).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The unit vector of one question, from the recent questions if it
    /// was asked before (by any FAQ).
    pub fn embed_question(&self, text: &str) -> Result<Arc<[f32]>, EmbedError> {
        if let Some(v) = self.recent().get(text).cloned() {
            return Ok(v);
        }
        // The model runs outside the lock: other questions go on meanwhile.
        let v: Arc<[f32]> = self.embed(&[text])?.into();
        self.recent().put(text.to_string(), Arc::clone(&v));
        Ok(v)
    }

    /// The recent questions. A poisoned lock only means another thread
    /// panicked while holding it; every entry is a whole vector either way.
    fn recent(&self) -> std::sync::MutexGuard<'_, lru::LruCache<String, Arc<[f32]>>> {
        self.recent.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The unit vectors of `texts`, one after another (`texts.len() *
    /// dim()` numbers), in the order given.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<f32>, EmbedError> {
        let mut encodings = Vec::with_capacity(texts.len());
        for t in texts {
            let e = self
                .tokenizer
                .encode(*t, true)
                .map_err(|e| EmbedError(format!("tokenizer: {e}")))?;
            encodings.push(e.get_ids().to_vec());
        }
        // Longest first, so each batch pads little; results go back in order.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(encodings[i].len()));
        let mut out = vec![0.0f32; texts.len() * self.dim];
        for batch in order.chunks(BATCH) {
            let ids: Vec<&[u32]> = batch.iter().map(|&i| encodings[i].as_slice()).collect();
            // On candle's own worker threads: its many small parallel
            // sections then run where they start, instead of each waking a
            // thread and waiting for it (which cost a third of a question).
            let vectors = self.bert.device.with_context(|| self.forward(&ids))?;
            for (k, &i) in batch.iter().enumerate() {
                out[i * self.dim..(i + 1) * self.dim]
                    .copy_from_slice(&vectors[k * self.dim..(k + 1) * self.dim]);
            }
        }
        Ok(out)
    }

    /// One forward pass over a batch of token ids: the pooled, normalised
    /// vector of each.
    fn forward(&self, batch: &[&[u32]]) -> Result<Vec<f32>, EmbedError> {
        let len = batch.iter().map(|ids| ids.len()).max().unwrap_or(0).max(1);
        let mut ids = vec![0u32; batch.len() * len];
        let mut mask = vec![0u32; batch.len() * len];
        for (row, seq) in batch.iter().enumerate() {
            ids[row * len..row * len + seq.len()].copy_from_slice(seq);
            mask[row * len..row * len + seq.len()].fill(1);
        }
        let device = &self.bert.device;
        let shape = (batch.len(), len);
        let hidden = (|| {
            let ids_t = Tensor::from_vec(ids, shape, device)?;
            let mask_t = Tensor::from_vec(mask.clone(), shape, device)?;
            let types = ids_t.zeros_like()?;
            self.bert
                .forward(&ids_t, &types, Some(&mask_t))?
                .flatten_all()?
                .to_vec1::<f32>()
        })()
        .map_err(|e| EmbedError(format!("model: {e}")))?;
        // Attention-masked mean over the tokens, then L2 norm.
        let dim = self.dim;
        let mut out = vec![0.0f32; batch.len() * dim];
        for row in 0..batch.len() {
            let v = &mut out[row * dim..(row + 1) * dim];
            let mut n = 0.0f32;
            for t in 0..len {
                if mask[row * len + t] == 0 {
                    continue;
                }
                n += 1.0;
                let h = &hidden[(row * len + t) * dim..(row * len + t + 1) * dim];
                v.iter_mut().zip(h).for_each(|(a, b)| *a += b);
            }
            let n = n.max(1e-9);
            v.iter_mut().for_each(|a| *a /= n);
            let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt().max(1e-12);
            v.iter_mut().for_each(|a| *a /= norm);
        }
        Ok(out)
    }
}

/// The weights in f32, each dense layer's matrix stored transposed (a
/// `[in, out]` buffer viewed as `[out, in]`). A question is a handful of
/// tokens: with the matrix in this layout the matrix product reads it as it
/// lies, where the file's layout had it copied (packed) for every question,
/// which cost more than the arithmetic.
fn for_small_batches(
    tensors: HashMap<String, Tensor>,
) -> candle_core::Result<HashMap<String, Tensor>> {
    tensors
        .into_iter()
        .map(|(name, t)| {
            let t = t.to_dtype(DType::F32)?;
            let dense = name.ends_with(".weight") && t.rank() == 2 && !name.contains("embeddings");
            let t = if dense { t.t()?.contiguous()?.t()? } else { t };
            Ok((name, t))
        })
        .collect()
}

/// 16 hex digits of the SHA-256 of `parts`, one after another.
fn short_hash(parts: &[&[u8]]) -> String {
    let mut hash = Sha256::new();
    for p in parts {
        hash.update(p);
    }
    hash.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The model failed on a text (it should not: any string tokenizes).
#[derive(Debug, Clone, PartialEq)]
pub struct EmbedError(pub String);

impl fmt::Display for EmbedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EmbedError {}
