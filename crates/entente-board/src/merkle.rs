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

use crate::error::BoardError;
use sha2::{Digest, Sha256};

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

/// MTH (RFC 9162 §2.1.1) of leaves given one at a time, in O(log n) memory: the complete
/// subtrees of the leaves so far, largest first, each merged with its equal as soon as one
/// follows it, and at the end folded from the right, as the RFC's split at the largest power
/// of two does. For a reader that streams a log's entries and checks them against a root.
#[derive(Debug, Clone, Default)]
pub struct RootBuilder {
    /// (leaves, hash) of each complete subtree, strictly decreasing in size.
    subtrees: Vec<(u64, Hash)>,
}

impl RootBuilder {
    /// Adds the next leaf, by its hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = (1u64, leaf);
        while let Some(&(size, left)) = self.subtrees.last() {
            if size != node.0 {
                break;
            }
            self.subtrees.pop();
            node = (2 * size, node_hash(&left, &node.1));
        }
        self.subtrees.push(node);
    }

    /// How many leaves were added.
    pub fn size(&self) -> u64 {
        self.subtrees.iter().map(|s| s.0).sum()
    }

    /// The tree head of the leaves added.
    pub fn root(&self) -> Hash {
        let mut from_right = self.subtrees.iter().rev();
        let Some(&(_, last)) = from_right.next() else {
            return empty_root();
        };
        from_right.fold(last, |right, (_, left)| node_hash(left, &right))
    }
}

/// Where the complete-subtree hashes are read from. Nodes are written once and never changed.
pub trait NodeRead {
    /// How many leaves the log holds.
    fn size(&self) -> Result<u64, BoardError>;
    /// The hash of the complete subtree at (level, index); the caller only asks for written ones.
    fn node(&self, level: u32, index: u64) -> Result<Hash, BoardError>;
}

impl<T: NodeRead> NodeRead for &T {
    fn size(&self) -> Result<u64, BoardError> {
        (**self).size()
    }
    fn node(&self, level: u32, index: u64) -> Result<Hash, BoardError> {
        (**self).node(level, index)
    }
}

/// A node store that appends one leaf at a time (the board's storage appends in batches).
pub trait NodeStore: NodeRead {
    /// Writes the nodes completed by one append and the new size, all or nothing.
    fn append(&mut self, nodes: &[(u32, u64, Hash)], new_size: u64) -> Result<(), BoardError>;
}

/// A store in memory: one vector of hashes per level.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    levels: Vec<Vec<Hash>>,
    size: u64,
}

impl NodeRead for MemoryStore {
    fn size(&self) -> Result<u64, BoardError> {
        Ok(self.size)
    }
    fn node(&self, level: u32, index: u64) -> Result<Hash, BoardError> {
        self.levels
            .get(level as usize)
            .and_then(|l| usize::try_from(index).ok().and_then(|i| l.get(i)))
            .copied()
            .ok_or(BoardError::MissingNode { level, index })
    }
}

impl NodeStore for MemoryStore {
    fn append(&mut self, nodes: &[(u32, u64, Hash)], new_size: u64) -> Result<(), BoardError> {
        for &(level, index, hash) in nodes {
            let l = level as usize;
            if self.levels.len() <= l {
                self.levels.resize_with(l + 1, Vec::new);
            }
            if self.levels[l].len() as u64 != index {
                return Err(BoardError::MissingNode { level, index });
            }
            self.levels[l].push(hash);
        }
        self.size = new_size;
        Ok(())
    }
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
    pub fn append(&mut self, entry: &[u8]) -> Result<u64, BoardError> {
        self.append_leaf_hash(leaf_hash(entry))
    }

    /// Appends a leaf by its hash: the leaf node, then every subtree it completes.
    pub fn append_leaf_hash(&mut self, leaf: Hash) -> Result<u64, BoardError> {
        let n = self.size()?;
        let mut nodes = vec![(0u32, n, leaf)];
        let (mut level, mut index, mut hash) = (0u32, n, leaf);
        while !index.is_multiple_of(2) {
            let left = self.store.node(level, index - 1)?;
            hash = node_hash(&left, &hash);
            level += 1;
            index /= 2;
            nodes.push((level, index, hash));
        }
        self.store.append(&nodes, n + 1)?;
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
    pub fn size(&self) -> Result<u64, BoardError> {
        self.store.size()
    }

    /// MTH(D[start:end]) for 0 ≤ start < end ≤ size, from O(log n) stored nodes.
    fn subtree(&self, start: u64, end: u64) -> Result<Hash, BoardError> {
        let n = end - start;
        if n.is_power_of_two() && start.is_multiple_of(n) {
            return self.store.node(n.trailing_zeros(), start / n);
        }
        let k = split(n);
        Ok(node_hash(
            &self.subtree(start, start + k)?,
            &self.subtree(start + k, end)?,
        ))
    }

    fn check_size(&self, size: u64) -> Result<(), BoardError> {
        let log_size = self.size()?;
        if size > log_size {
            return Err(BoardError::SizeOutOfRange { size, log_size });
        }
        Ok(())
    }

    /// The root of the tree of the first `size` entries (RFC 9162 §2.1.1).
    pub fn root(&self, size: u64) -> Result<Hash, BoardError> {
        self.check_size(size)?;
        if size == 0 {
            return Ok(empty_root());
        }
        self.subtree(0, size)
    }

    /// The inclusion proof of entry `index` in the tree of size `size`: PATH(m, D[n]) of
    /// RFC 9162 §2.1.3.1, innermost sibling first.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, BoardError> {
        self.check_size(size)?;
        if index >= size {
            return Err(BoardError::IndexOutOfRange { index, size });
        }
        let mut out = Vec::new();
        self.path(index, 0, size, &mut out)?;
        Ok(out)
    }

    fn path(&self, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) -> Result<(), BoardError> {
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
    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, BoardError> {
        self.check_size(second)?;
        if first == 0 || first > second {
            return Err(BoardError::BadSizes { first, second });
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
    ) -> Result<(), BoardError> {
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
) -> Result<(), BoardError> {
    if index >= size {
        return Err(BoardError::IndexOutOfRange { index, size });
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(BoardError::ProofLength);
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
        return Err(BoardError::ProofLength);
    }
    if r != *root {
        return Err(BoardError::ProofMismatch);
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
) -> Result<(), BoardError> {
    if first == 0 || first > second {
        return Err(BoardError::BadSizes { first, second });
    }
    if first == second {
        return if proof.is_empty() && first_root == second_root {
            Ok(())
        } else if !proof.is_empty() {
            Err(BoardError::ProofLength)
        } else {
            Err(BoardError::ProofMismatch)
        };
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let Some((first_hash, rest)) = path.split_first() else {
        return Err(BoardError::ProofLength);
    };
    let (mut fn_, mut sn) = (first - 1, second - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*first_hash, *first_hash);
    for c in rest {
        if sn == 0 {
            return Err(BoardError::ProofLength);
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
        return Err(BoardError::ProofLength);
    }
    if fr != *first_root || sr != *second_root {
        return Err(BoardError::ProofMismatch);
    }
    Ok(())
}
