//! t from T = K^t, for 0 <= t <= bound: baby-step giant-step (Shanks), as spec 2.0 §3.6
//! suggests. Memory and time grow with sqrt(bound); a value outside the bound is reported as
//! not found, never searched for forever.

use std::collections::HashMap;

use entente_group::Group;
use entente_record::ballot::PublicKey;

/// Baby steps K^0..K^(m-1) by encoding, and the giant step K^-m.
pub struct DlogTable<G: Group> {
    baby: HashMap<Vec<u8>, u64>,
    giant: G::Element,
    m: u64,
    bound: u64,
}

impl<G: Group> DlogTable<G> {
    /// A table for 0 <= t <= bound (the number of ballots times the option limit, for a tally).
    pub fn new(key: &PublicKey<G>, bound: u64) -> Self {
        let m = (bound as f64 + 1.0).sqrt().ceil().max(1.0) as u64;
        let mut baby = HashMap::with_capacity(m as usize);
        let mut x = G::identity();
        for j in 0..m {
            baby.insert(G::element_to_bytes(&x), j);
            x = G::mul(&x, key.element());
        }
        // x = K^m now.
        Self {
            baby,
            giant: G::inv(&x),
            m,
            bound,
        }
    }

    /// The largest t searched.
    pub fn bound(&self) -> u64 {
        self.bound
    }

    /// t with K^t = target and t <= bound, if there is one.
    pub fn find(&self, target: &G::Element) -> Option<u64> {
        let mut y = target.clone();
        let mut i = 0u64;
        while i * self.m <= self.bound {
            if let Some(&j) = self.baby.get(&G::element_to_bytes(&y)) {
                let t = i * self.m + j;
                return (t <= self.bound).then_some(t);
            }
            y = G::mul(&y, &self.giant);
            i += 1;
        }
        None
    }
}
