//! The semantic stage: what a question *means*, next to the words it uses.
//!
//! - [`model`]: the sentence-embedding model (all-MiniLM-L6-v2 in candle)
//!   that turns a text into a unit vector;
//! - this module: [`Semantic`], the vectors of every phrasing of an FAQ,
//!   how a question's vector scores against them, and the normalisation
//!   that makes those scores mean the same on any FAQ.
//!
//! A raw cosine means different things on different FAQs: on an FAQ about
//! one subject, unrelated phrasings are already 0.3 alike, on one that
//! spans many subjects 0.08. So a cosine is read against the FAQ's own
//! *background*, the mean cosine between phrasings of different entries:
//! `(cos - background) / (1 - background)`, so 0 is "as alike as two
//! different entries are" and 1 is "the same sentence".
//!
//! Pure: no I/O but what the model does in memory. Vectors come from the
//! caller (see `crate::answer::engine`, which keeps a cache on disk).

pub mod model;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

pub use model::{EmbedError, Model, ModelError};

/// The background of an FAQ with fewer than two entries (no pair to
/// measure): between what CLINC150 (0.08) and the seed FAQ (0.32) show.
pub const DEFAULT_BACKGROUND: f32 = 0.2;

/// One entry's semantic score: its best phrasing's cosine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SemanticHit {
    /// The cosine between the question and the phrasing, in [-1, 1].
    pub cosine: f32,
    /// Which phrasing (0 = the question, 1.. = alternatives).
    pub phrasing: usize,
}

/// The phrasings' vectors of one FAQ, and the model that made them.
#[derive(Debug, Clone)]
pub struct Semantic {
    model: Arc<Model>,
    /// Phrasing `p`'s vector is `vectors[p * dim..(p + 1) * dim]`.
    vectors: Vec<f32>,
    /// Entry `e`'s phrasings are `entry_start[e]..entry_start[e + 1]`.
    entry_start: Vec<u32>,
    background: f32,
}

impl Semantic {
    /// `vectors` holds every phrasing's unit vector, entry after entry;
    /// `phrasings[e]` is how many entry `e` has.
    pub fn new(model: Arc<Model>, vectors: Vec<f32>, phrasings: &[usize]) -> Semantic {
        let mut entry_start = Vec::with_capacity(phrasings.len() + 1);
        let mut at = 0u32;
        entry_start.push(0);
        for &n in phrasings {
            at += n as u32;
            entry_start.push(at);
        }
        debug_assert_eq!(at as usize * model.dim(), vectors.len());
        let background = background(&vectors, &entry_start, model.dim());
        Semantic {
            model,
            vectors,
            entry_start,
            background,
        }
    }

    /// The mean cosine between phrasings of different entries.
    pub fn background(&self) -> f32 {
        self.background
    }

    /// A cosine read against this FAQ's background: 0 for as alike as two
    /// different entries are on average, 1 for the same sentence.
    pub fn normalise(&self, cosine: f32) -> f32 {
        (cosine - self.background) / (1.0 - self.background)
    }

    /// The question's unit vector (see [`Model::embed_question`]).
    pub fn embed(&self, question: &str) -> Result<Arc<[f32]>, EmbedError> {
        self.model.embed_question(question)
    }

    /// Every entry's best phrasing for the question's vector, in FAQ order.
    pub fn score_entries(&self, question: &[f32]) -> Vec<SemanticHit> {
        let dim = self.model.dim();
        self.entry_start
            .windows(2)
            .map(|w| {
                let mut best = SemanticHit {
                    cosine: -1.0,
                    phrasing: 0,
                };
                for (k, p) in (w[0] as usize..w[1] as usize).enumerate() {
                    let cosine = dot(question, &self.vectors[p * dim..(p + 1) * dim]);
                    if cosine > best.cosine {
                        best = SemanticHit {
                            cosine,
                            phrasing: k,
                        };
                    }
                }
                best
            })
            .collect()
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Four lanes, so that the compiler vectorises without -ffast-math.
    let mut acc = [0.0f32; 4];
    let chunks = a.len() / 4;
    for i in 0..chunks {
        for l in 0..4 {
            acc[l] += a[i * 4 + l] * b[i * 4 + l];
        }
    }
    let mut s = acc.iter().sum::<f32>();
    for i in chunks * 4..a.len() {
        s += a[i] * b[i];
    }
    s
}

/// The mean cosine over pairs of phrasings of different entries, exactly
/// and in linear time: the sum over all ordered pairs is `|Σv|²`, that
/// within entry `e` is `|Σ_e v|²`, and what remains is the pairs across.
fn background(vectors: &[f32], entry_start: &[u32], dim: usize) -> f32 {
    let total_n = *entry_start.last().unwrap_or(&0) as f64;
    let mut all = vec![0.0f64; dim];
    let mut within = 0.0f64;
    let mut within_pairs = 0.0f64;
    for w in entry_start.windows(2) {
        let mut sum = vec![0.0f64; dim];
        for p in w[0] as usize..w[1] as usize {
            for (s, &x) in sum.iter_mut().zip(&vectors[p * dim..(p + 1) * dim]) {
                *s += f64::from(x);
            }
        }
        within += sum.iter().map(|x| x * x).sum::<f64>();
        let n = f64::from(w[1] - w[0]);
        within_pairs += n * n;
        all.iter_mut().zip(&sum).for_each(|(a, s)| *a += s);
    }
    let pairs = total_n * total_n - within_pairs;
    if pairs < 1.0 {
        return DEFAULT_BACKGROUND;
    }
    let across = all.iter().map(|x| x * x).sum::<f64>() - within;
    // A background near 1 would blow every score up: no real FAQ is that
    // uniform, but a hostile one could be.
    ((across / pairs) as f32).clamp(0.0, 0.9)
}

static MODELS: LazyLock<Mutex<HashMap<Option<PathBuf>, Arc<Model>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The model in `folder` (`None`: the bundled one), loaded once per
/// process and shared by every FAQ that uses it.
pub fn shared_model(folder: Option<&Path>) -> Result<Arc<Model>, ModelError> {
    let key = folder.map(Path::to_path_buf);
    let mut models = MODELS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(m) = models.get(&key) {
        return Ok(Arc::clone(m));
    }
    let model = Arc::new(match folder {
        None => Model::bundled()?,
        Some(dir) => Model::load_dir(dir)?,
    });
    models.insert(key, Arc::clone(&model));
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_is_the_mean_cosine_across_entries() {
        // Three 2-d unit vectors: entry 0 has a and b, entry 1 has c.
        let (a, b, c) = ([1.0f32, 0.0], [0.0f32, 1.0], [0.6f32, 0.8]);
        let v: Vec<f32> = [a, b, c].concat();
        let got = background(&v, &[0, 2, 3], 2);
        // Pairs across: (a,c) = 0.6 and (b,c) = 0.8, each twice.
        assert!((got - 0.7).abs() < 1e-6, "{got}");
        assert_eq!(background(&v, &[0, 3], 2), DEFAULT_BACKGROUND);
    }
}
