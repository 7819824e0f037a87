//! The Merkle log of RFC 9162 §2.1: leaf and node hashes with domain separation, the tree
//! head MTH, inclusion proofs (§2.1.3) and consistency proofs (§2.1.4).
//!
//! The store keeps the hash of every complete subtree (level ℓ, index i: leaves
//! [i·2^ℓ, (i+1)·2^ℓ)), written once when its last leaf arrives and never changed. Every subtree
//! that the RFC's recursions ask for is a complete one aligned on its size, or splits into one
//! such on the left and a smaller recursion on the right, so a proof costs O(log n) reads.
//!
//! Written here rather than taken from a crate: the RFC's algorithms are short, a storage-backed
//! tree with append-only complete-subtree nodes is what the board's SQLite store needs, and the
//! crates we looked at either keep the whole tree in memory or hash without RFC 9162's prefixes.

use sha2::{Digest, Sha256};
use thiserror::Error;

/// A SHA-256 value.
pub type Hash = [u8; 32];

/// SHA-256(0x00 ‖ entry), RFC 9162 §2.1.1.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// SHA-256(0x01 ‖ left ‖ right), RFC 9162 §2.1.1.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// MTH({}) = SHA-256(""), the root of the empty tree.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Why a proof was not given or does not verify.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofError {
    /// A leaf index at or beyond the tree size.
    #[error("leaf {index} is not in a tree of {size} entries")]
    IndexOutOfRange {
        /// The index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A tree size the log has not reached, or sizes in the wrong order.
    #[error("no tree of size {size}: the log has {log_size} entries")]
    SizeOutOfRange {
        /// The size asked for.
        size: u64,
        /// The log's size.
        log_size: u64,
    },
    /// Consistency asked from 0 or from a larger tree to a smaller one.
    #[error("consistency is defined from a size in 1..={second} to {second}, not from {first}")]
    BadSizes {
        /// The first size.
        first: u64,
        /// The second size.
        second: u64,
    },
    /// The proof does not lead to the expected root(s).
    #[error("the proof does not verify")]
    Mismatch,
    /// The proof has the wrong number of hashes.
    #[error("the proof has the wrong length")]
    Length,
}

/// Where the complete-subtree hashes are read from. Nodes are written once and never changed.
pub trait NodeRead {
    /// The store's own error.
    type Error: std::error::Error + Send + Sync + 'static;
    /// How many leaves the log holds.
    fn size(&self) -> Result<u64, Self::Error>;
    /// The hash of the complete subtree at (level, index); the caller only asks for written ones.
    fn node(&self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

impl<T: NodeRead> NodeRead for &T {
    type Error = T::Error;
    fn size(&self) -> Result<u64, Self::Error> {
        (**self).size()
    }
    fn node(&self, level: u32, index: u64) -> Result<Hash, Self::Error> {
        (**self).node(level, index)
    }
}

/// A node store that appends one leaf at a time (the board's storage appends in batches).
pub trait NodeStore: NodeRead {
    /// Writes the nodes completed by one append and the new size, all or nothing.
    fn append(&mut self, nodes: &[(u32, u64, Hash)], new_size: u64) -> Result<(), Self::Error>;
}

/// A store in memory: one vector of hashes per level.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    levels: Vec<Vec<Hash>>,
    size: u64,
}

/// A node asked of a [`MemoryStore`] that it does not hold.
#[derive(Debug, Error)]
#[error("no node at level {level}, index {index}")]
pub struct MissingNode {
    level: u32,
    index: u64,
}

impl NodeRead for MemoryStore {
    type Error = MissingNode;
    fn size(&self) -> Result<u64, MissingNode> {
        Ok(self.size)
    }
    fn node(&self, level: u32, index: u64) -> Result<Hash, MissingNode> {
        self.levels
            .get(level as usize)
            .and_then(|l| usize::try_from(index).ok().and_then(|i| l.get(i)))
            .copied()
            .ok_or(MissingNode { level, index })
    }
}

impl NodeStore for MemoryStore {
    fn append(&mut self, nodes: &[(u32, u64, Hash)], new_size: u64) -> Result<(), MissingNode> {
        for &(level, index, hash) in nodes {
            let l = level as usize;
            if self.levels.len() <= l {
                self.levels.resize_with(l + 1, Vec::new);
            }
            if self.levels[l].len() as u64 != index {
                return Err(MissingNode { level, index });
            }
            self.levels[l].push(hash);
        }
        self.size = new_size;
        Ok(())
    }
}

/// Errors of a log: its store's, or a request it cannot answer.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LogError<E: std::error::Error + 'static> {
    /// The store failed.
    #[error("storage: {0}")]
    Store(#[source] E),
    /// The request is outside the log.
    #[error(transparent)]
    Proof(#[from] ProofError),
}

/// The largest power of two smaller than n (n ≥ 2), the split point k of RFC 9162 §2.1.1.
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// The append-only log over a store.
pub struct MerkleLog<S: NodeRead> {
    store: S,
}

impl<S: NodeStore> MerkleLog<S> {
    /// Appends an entry (its bytes); returns its index.
    pub fn append(&mut self, entry: &[u8]) -> Result<u64, LogError<S::Error>> {
        self.append_leaf_hash(leaf_hash(entry))
    }

    /// Appends a leaf by its hash: the leaf node, then every subtree it completes.
    pub fn append_leaf_hash(&mut self, leaf: Hash) -> Result<u64, LogError<S::Error>> {
        let n = self.size()?;
        let mut nodes = vec![(0u32, n, leaf)];
        let (mut level, mut index, mut hash) = (0u32, n, leaf);
        while !index.is_multiple_of(2) {
            let left = self.store.node(level, index - 1).map_err(LogError::Store)?;
            hash = node_hash(&left, &hash);
            level += 1;
            index /= 2;
            nodes.push((level, index, hash));
        }
        self.store.append(&nodes, n + 1).map_err(LogError::Store)?;
        Ok(n)
    }
}

impl<S: NodeRead> MerkleLog<S> {
    /// A log over `store`.
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The number of entries.
    pub fn size(&self) -> Result<u64, LogError<S::Error>> {
        self.store.size().map_err(LogError::Store)
    }

    /// MTH(D[start:end]) for 0 ≤ start < end ≤ size, from O(log n) stored nodes.
    fn subtree(&self, start: u64, end: u64) -> Result<Hash, LogError<S::Error>> {
        let n = end - start;
        if n.is_power_of_two() && start.is_multiple_of(n) {
            return self
                .store
                .node(n.trailing_zeros(), start / n)
                .map_err(LogError::Store);
        }
        let k = split(n);
        Ok(node_hash(
            &self.subtree(start, start + k)?,
            &self.subtree(start + k, end)?,
        ))
    }

    fn check_size(&self, size: u64) -> Result<(), LogError<S::Error>> {
        let log_size = self.size()?;
        if size > log_size {
            return Err(ProofError::SizeOutOfRange { size, log_size }.into());
        }
        Ok(())
    }

    /// The root of the tree of the first `size` entries (RFC 9162 §2.1.1).
    pub fn root(&self, size: u64) -> Result<Hash, LogError<S::Error>> {
        self.check_size(size)?;
        if size == 0 {
            return Ok(empty_root());
        }
        self.subtree(0, size)
    }

    /// The inclusion proof of entry `index` in the tree of size `size`: PATH(m, D[n]) of
    /// RFC 9162 §2.1.3.1, innermost sibling first.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LogError<S::Error>> {
        self.check_size(size)?;
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size }.into());
        }
        let mut out = Vec::new();
        self.path(index, 0, size, &mut out)?;
        Ok(out)
    }

    fn path(
        &self,
        m: u64,
        start: u64,
        end: u64,
        out: &mut Vec<Hash>,
    ) -> Result<(), LogError<S::Error>> {
        let n = end - start;
        if n == 1 {
            return Ok(());
        }
        let k = split(n);
        if m < k {
            self.path(m, start, start + k, out)?;
            out.push(self.subtree(start + k, end)?);
        } else {
            self.path(m - k, start + k, end, out)?;
            out.push(self.subtree(start, start + k)?);
        }
        Ok(())
    }

    /// The consistency proof from the tree of size `first` to the tree of size `second`:
    /// PROOF(m, D[n]) of RFC 9162 §2.1.4.1 (empty when the sizes are equal).
    pub fn consistency_proof(
        &self,
        first: u64,
        second: u64,
    ) -> Result<Vec<Hash>, LogError<S::Error>> {
        self.check_size(second)?;
        if first == 0 || first > second {
            return Err(ProofError::BadSizes { first, second }.into());
        }
        let mut out = Vec::new();
        if first < second {
            self.subproof(first, 0, second, true, &mut out)?;
        }
        Ok(out)
    }

    fn subproof(
        &self,
        m: u64,
        start: u64,
        end: u64,
        whole: bool,
        out: &mut Vec<Hash>,
    ) -> Result<(), LogError<S::Error>> {
        let n = end - start;
        if m == n {
            if !whole {
                out.push(self.subtree(start, end)?);
            }
            return Ok(());
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, start, start + k, whole, out)?;
            out.push(self.subtree(start + k, end)?);
        } else {
            self.subproof(m - k, start + k, end, false, out)?;
            out.push(self.subtree(start, start + k)?);
        }
        Ok(())
    }
}

/// Verifies an inclusion proof, RFC 9162 §2.1.3.2.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::Length);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::Length);
    }
    if r != *root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

/// Verifies a consistency proof, RFC 9162 §2.1.4.2.
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if first == 0 || first > second {
        return Err(ProofError::BadSizes { first, second });
    }
    if first == second {
        return if proof.is_empty() && first_root == second_root {
            Ok(())
        } else if !proof.is_empty() {
            Err(ProofError::Length)
        } else {
            Err(ProofError::Mismatch)
        };
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let Some((first_hash, rest)) = path.split_first() else {
        return Err(ProofError::Length);
    };
    let (mut fn_, mut sn) = (first - 1, second - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*first_hash, *first_hash);
    for c in rest {
        if sn == 0 {
            return Err(ProofError::Length);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::Length);
    }
    if fr != *first_root || sr != *second_root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}
