//! The log against RFC 9162's definitions: roots equal MTH computed from the definition; every
//! inclusion and consistency proof of every tree up to a few hundred entries verifies; any
//! one-bit change in a proof, a root or an entry makes verification fail; proofs cost
//! O(log n) reads.

use std::cell::Cell;

use entente_board::BoardError;
use entente_board::{
    Hash, MemoryStore, MerkleLog, NodeRead, NodeStore, RootBuilder, empty_root, leaf_hash,
    node_hash, verify_consistency, verify_inclusion,
};
use proptest::prelude::*;

/// MTH(D[n]) straight from RFC 9162 §2.1.1.
fn mth(entries: &[Vec<u8>]) -> Hash {
    match entries.len() {
        0 => empty_root(),
        1 => leaf_hash(&entries[0]),
        n => {
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            node_hash(&mth(&entries[..k]), &mth(&entries[k..]))
        }
    }
}

fn entry(i: usize) -> Vec<u8> {
    format!("entry {i}").into_bytes()
}

fn log_of(n: usize) -> MerkleLog<MemoryStore> {
    let mut log = MerkleLog::new(MemoryStore::default());
    for i in 0..n {
        assert_eq!(log.append(&entry(i)).unwrap(), i as u64);
    }
    log
}

/// The RFC 6962 / certificate-transparency reference tree of eight leaves.
#[test]
fn the_reference_tree_of_eight_leaves() {
    let leaves: Vec<Vec<u8>> = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|h| hex_bytes(h))
    .collect();
    let mut log = MerkleLog::new(MemoryStore::default());
    for l in &leaves {
        log.append(l).unwrap();
    }
    assert_eq!(
        hex(&log.root(8).unwrap()),
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    );
    assert_eq!(
        hex(&log.root(0).unwrap()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn hex(h: &Hash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn every_proof_of_every_small_tree_verifies() {
    const N: usize = 300;
    let log = log_of(N);
    let entries: Vec<Vec<u8>> = (0..N).map(entry).collect();
    let roots: Vec<Hash> = (0..=N).map(|n| mth(&entries[..n])).collect();
    for n in 1..=N {
        assert_eq!(log.root(n as u64).unwrap(), roots[n], "root of {n}");
        for (i, e) in entries.iter().enumerate().take(n) {
            let proof = log.inclusion_proof(i as u64, n as u64).unwrap();
            verify_inclusion(i as u64, n as u64, &leaf_hash(e), &proof, &roots[n])
                .unwrap_or_else(|e| panic!("inclusion {i} in {n}: {e}"));
        }
        for m in 1..=n {
            let proof = log.consistency_proof(m as u64, n as u64).unwrap();
            verify_consistency(m as u64, n as u64, &roots[m], &roots[n], &proof)
                .unwrap_or_else(|e| panic!("consistency {m} to {n}: {e}"));
        }
    }
    // Requests outside the log are errors, not panics.
    assert!(log.inclusion_proof(5, 5).is_err());
    assert!(log.inclusion_proof(0, N as u64 + 1).is_err());
    assert!(log.consistency_proof(0, 5).is_err());
    assert!(log.consistency_proof(6, 5).is_err());
    assert!(log.root(N as u64 + 1).is_err());
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut out = *h;
    out[bit / 8 % 32] ^= 1 << (bit % 8);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn a_changed_bit_breaks_an_inclusion_proof(n in 2usize..300, i in 0usize..300, bit in 0usize..256, which in 0usize..64) {
        let i = i % n;
        let log = log_of(n);
        let root = log.root(n as u64).unwrap();
        let leaf = leaf_hash(&entry(i));
        let proof = log.inclusion_proof(i as u64, n as u64).unwrap();
        prop_assert!(verify_inclusion(i as u64, n as u64, &leaf, &proof, &root).is_ok());
        // A bit of a proof hash, of the root, of the entry.
        let mut bad = proof.clone();
        let w = which % bad.len();
        bad[w] = flip(&bad[w], bit);
        prop_assert!(verify_inclusion(i as u64, n as u64, &leaf, &bad, &root).is_err());
        prop_assert!(verify_inclusion(i as u64, n as u64, &leaf, &proof, &flip(&root, bit)).is_err());
        let mut changed = entry(i);
        let at = bit % changed.len();
        changed[at] ^= 1 << (bit % 8);
        prop_assert!(verify_inclusion(i as u64, n as u64, &leaf_hash(&changed), &proof, &root).is_err());
        // A proof cut short, or one hash too long, or for another index.
        prop_assert!(verify_inclusion(i as u64, n as u64, &leaf, &proof[..proof.len() - 1], &root).is_err());
        let mut longer = proof.clone();
        longer.push(root);
        prop_assert!(verify_inclusion(i as u64, n as u64, &leaf, &longer, &root).is_err());
        prop_assert!(verify_inclusion(((i + 1) % n) as u64, n as u64, &leaf, &proof, &root).is_err());
    }

    #[test]
    fn a_changed_bit_breaks_a_consistency_proof(n in 2usize..300, m in 1usize..300, bit in 0usize..256, which in 0usize..64) {
        let m = 1 + m % (n - 1); // 1 <= m < n
        let log = log_of(n);
        let (r1, r2) = (log.root(m as u64).unwrap(), log.root(n as u64).unwrap());
        let proof = log.consistency_proof(m as u64, n as u64).unwrap();
        prop_assert!(verify_consistency(m as u64, n as u64, &r1, &r2, &proof).is_ok());
        let mut bad = proof.clone();
        let w = which % bad.len();
        bad[w] = flip(&bad[w], bit);
        prop_assert!(verify_consistency(m as u64, n as u64, &r1, &r2, &bad).is_err());
        prop_assert!(verify_consistency(m as u64, n as u64, &flip(&r1, bit), &r2, &proof).is_err());
        prop_assert!(verify_consistency(m as u64, n as u64, &r1, &flip(&r2, bit), &proof).is_err());
        prop_assert!(verify_consistency(m as u64, n as u64, &r1, &r2, &proof[..proof.len() - 1]).is_err());
        // A history with one entry changed is not consistent with the log's.
        let mut other = MerkleLog::new(MemoryStore::default());
        for k in 0..n {
            let e = if k == bit % n { b"forged".to_vec() } else { entry(k) };
            other.append(&e).unwrap();
        }
        let forged = other.root(n as u64).unwrap();
        prop_assert!(verify_consistency(m as u64, n as u64, &r1, &forged, &proof).is_err());
    }
}

/// A store that counts its reads.
struct Counting {
    inner: MemoryStore,
    reads: Cell<u64>,
}

impl NodeRead for Counting {
    fn size(&self) -> Result<u64, BoardError> {
        self.inner.size()
    }
    fn node(&self, level: u32, index: u64) -> Result<Hash, BoardError> {
        self.reads.set(self.reads.get() + 1);
        self.inner.node(level, index)
    }
}

impl NodeStore for Counting {
    fn append(&mut self, nodes: &[(u32, u64, Hash)], size: u64) -> Result<(), BoardError> {
        self.inner.append(nodes, size)
    }
}

#[test]
fn proofs_read_a_logarithmic_number_of_nodes() {
    let n = 5000u64;
    let mut log = MerkleLog::new(Counting {
        inner: MemoryStore::default(),
        reads: Cell::new(0),
    });
    for i in 0..n as usize {
        log.append(&entry(i)).unwrap();
    }
    let bound = 2 * (64 - n.leading_zeros() as u64) + 2;
    for (what, f) in [
        (
            "root",
            Box::new(|l: &MerkleLog<Counting>| l.root(4999).map(|_| ()))
                as Box<dyn Fn(&MerkleLog<Counting>) -> Result<(), _>>,
        ),
        (
            "inclusion",
            Box::new(|l: &MerkleLog<Counting>| l.inclusion_proof(1234, 4999).map(|_| ())),
        ),
        (
            "consistency",
            Box::new(|l: &MerkleLog<Counting>| l.consistency_proof(1234, 4999).map(|_| ())),
        ),
    ] {
        log.store().reads.set(0);
        f(&log).unwrap();
        let reads = log.store().reads.get();
        assert!(
            reads <= bound,
            "{what}: {reads} reads for n = {n}, bound {bound}"
        );
    }
}

/// A root built leaf by leaf in O(log n) memory is MTH at every size, the empty tree's too.
#[test]
fn a_root_built_leaf_by_leaf_is_mth_at_every_size() {
    let entries: Vec<Vec<u8>> = (0..300).map(entry).collect();
    let mut b = RootBuilder::default();
    assert_eq!(b.root(), empty_root());
    for n in 1..=entries.len() {
        b.push(leaf_hash(&entries[n - 1]));
        assert_eq!(b.size(), n as u64);
        assert_eq!(b.root(), mth(&entries[..n]), "size {n}");
    }
}
