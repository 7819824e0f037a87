//! The standard group's parameters, spec 2.0 §3.1.1: p, q, the cofactor r and g = 2^r mod p.

use std::sync::LazyLock;

use rug::Integer;
use rug::integer::Order;

/// Hex of p, spec 2.0 §3.1.1.
pub(crate) const P_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "B17217F7D1CF79ABC9E3B39803F2F6AF40F343267298B62D8A0D175B8BAAFA2B",
    "E7B876206DEBAC98559552FB4AFA1B10ED2EAE35C138214427573B291169B825",
    "3E96CA16224AE8C51ACBDA11317C387EB9EA9BC3B136603B256FA0EC7657F74B",
    "72CE87B19D6548CAF5DFA6BD38303248655FA1872F20E3A2DA2D97C50F3FD5C6",
    "07F4CA11FB5BFB90610D30F88FE551A2EE569D6DFC1EFA157D2E23DE1400B396",
    "17460775DB8990E5C943E732B479CD33CCCC4E659393514C4C1A1E0BD1D6095D",
    "25669B333564A3376A9C7F8A5E148E82074DB6015CFE7AA30C480A5417350D2C",
    "955D5179B1E17B9DAE313CDB6C606CB1078F735D1B2DB31B5F50B5185064C18B",
    "4D162DB3B365853D7598A1951AE273EE5570B6C68F96983496D4E6D330AF889B",
    "44A02554731CDC8EA17293D1228A4EF98D6F5177FBCF0755268A5C1F9538B982",
    "61AFFD446B1CA3CF5E9222B88C66D3C5422183EDC99421090BBB16FAF3D949F2",
    "36E02B20CEE886B905C128D53D0BD2F9621363196AF503020060E49908391A0C",
    "57339BA2BEBA7D052AC5B61CC4E9207CEF2F0CE2D7373958D762265890445744",
    "FB5F2DA4B751005892D356890DEFE9CAD9B9D4B713E06162A2D8FDD0DF2FD608",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
);

/// Hex of q = 2^256 - 189, spec 2.0 §3.1.1 eq. (3).
pub(crate) const Q_HEX: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF43";

/// The standard parameters as integers, for parameter validation (spec 2.0 Verification 1).
#[derive(Debug)]
pub struct Constants {
    /// The 4096-bit prime modulus p.
    pub p: Integer,
    /// The 256-bit prime order q of the subgroup.
    pub q: Integer,
    /// The cofactor r = (p - 1) / q.
    pub r: Integer,
    /// The generator g = 2^r mod p.
    pub g: Integer,
}

impl Constants {
    /// b(p, 512): p in its canonical encoding (spec 2.0 §5.1.1).
    pub fn p_bytes(&self) -> Vec<u8> {
        fixed_width(&self.p, 512)
    }
    /// b(q, 32) (spec 2.0 §5.1.2).
    pub fn q_bytes(&self) -> Vec<u8> {
        fixed_width(&self.q, 32)
    }
    /// b(r, 512), the cofactor.
    pub fn r_bytes(&self) -> Vec<u8> {
        fixed_width(&self.r, 512)
    }
    /// b(g, 512).
    pub fn g_bytes(&self) -> Vec<u8> {
        fixed_width(&self.g, 512)
    }
}

fn fixed_width(x: &Integer, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    x.write_digits(&mut out, Order::Msf);
    out
}

/// p, q, r and g, computed once.
pub fn constants() -> &'static Constants {
    &CONSTANTS
}

static CONSTANTS: LazyLock<Constants> = LazyLock::new(|| {
    let p = Integer::from_str_radix(P_HEX, 16).expect("spec constant p is valid hex");
    let q = Integer::from_str_radix(Q_HEX, 16).expect("spec constant q is valid hex");
    let r = Integer::from(&p - 1u32) / &q;
    // g = 2^r mod p (spec 2.0 §3.1.1); tests pin it to the hex printed in the spec.
    let g = Integer::from(
        Integer::from(2u32)
            .pow_mod_ref(&r, &p)
            .expect("p is positive"),
    );
    Constants { p, q, r, g }
});
