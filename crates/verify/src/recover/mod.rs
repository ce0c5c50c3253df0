//! Recovering an RSA DKIM key from the leak itself, offline.
//!
//! Two signatures s1, s2 made with the same RSA key (n, e = 65537) over
//! header hashes whose PKCS#1 v1.5 encodings are m1, m2 satisfy
//! s1^e ≡ m1 and s2^e ≡ m2 (mod n), so n divides gcd(s1^e − m1, s2^e − m2).
//! The encodings need no key: they come from the canonicalised signed
//! headers, as verification computes them. The gcd is of numbers of about
//! 65537 × the key size in bits (134 million bits for a 2048-bit key), which
//! is what [`bigint::gcd`] is for.
//!
//! A candidate is accepted only if, once small factors are divided out, it is
//! exactly as long as the signatures and every signature it is credited with
//! verifies under it. What that proves is limited, and the records written
//! say so: the signatures are consistent with one key. It does not show that
//! the domain ever published that key: whoever assembled the messages can
//! sign them all with a key of their own under any `d=`. Verification with a
//! recovered key therefore gives its own verdict, `consistent`, never
//! `verified`, unless an independent record of the same key is found.
//!
//! This module never touches the network and never modifies evidence.

mod bigint;
mod ntt;

use std::collections::BTreeMap;

use base64ct::{Base64, Encoding};
use dashu_base::BitTest;
use dashu_int::UBig;
use dashu_int::fast_div::ConstDivisor;

use crate::alg::{HashAlg, KeyAlg};
use crate::canon;
use crate::dkim;
use crate::tags;

/// The public exponent assumed: every RSA DKIM key seen in practice uses it.
pub const E: u32 = 65537;
/// Signatures longer than this (keys over 4096 bits) are not used for
/// recovery: s^e alone would be over 268 million bits, and the gcd's working
/// memory about twice the 660 MiB measured for a 2048-bit pair, per group.
pub const MAX_SIGNATURE_BYTES: usize = 512;
/// Signatures shorter than this (keys under 512 bits) are not used.
pub const MIN_SIGNATURE_BYTES: usize = 64;
/// Pairs of signatures tried per selector. Each costs a gcd of two numbers of
/// ~65537 × key bits (about 30 s for 2048 bits on one core), so a dump of
/// many signatures that share no key cannot make recovery run for days.
pub const MAX_PAIRS_PER_GROUP: usize = 6;
/// Odd primes below this are divided out of a candidate: gcds of s^e − m
/// carry small factors besides n.
const SMALL_PRIMES_BELOW: u32 = 20_000;

pub use crate::keys::RECOVERED_NOTE;

/// What a recovered key does and does not prove, in words a reporter can
/// quote; used in `--help`, the records written, the summary, the email page
/// and the report.
pub const RECOVERED_MEANING: &str = "A key recovered from the evidence proves that the signatures are consistent \
with one key, not that the key belonged to the domain: whoever assembled the messages could have signed them all \
with a key of their own under any d=. Verification with it gives the verdict `consistent`, never `verified`, \
unless the same key is also found in an independent source (an archive, DNS).";

/// One DKIM signature of a message, as recovery needs it.
#[derive(Clone, Debug)]
pub struct Signed {
    /// The caller's number for the message it is in.
    pub message: usize,
    /// `d=` and `s=`, lower-case.
    pub domain: String,
    pub selector: String,
    /// `a=` as written.
    pub algorithm: String,
    rsa: bool,
    hash: HashAlg,
    sig: Vec<u8>,
    digest: Vec<u8>,
}

/// Every DKIM-Signature of one message (bytes as stored) that can be read,
/// up to [`crate::MAX_SIGNATURES`]. Malformed ones are left out: they cannot
/// be verified either.
pub fn signatures(raw: &[u8], message: usize) -> Vec<Signed> {
    let crlf = canon::to_crlf(raw);
    let split = canon::split(&crlf);
    let names = dkim::lower_names(&split);
    let mut out = Vec::new();
    for (idx, _) in names.iter().enumerate().filter(|(_, n)| *n == "dkim-signature").take(crate::MAX_SIGNATURES) {
        let Ok(tags) = tags::parse_tags(split.headers[idx].value) else { continue };
        let (Some((key_alg, hash)), Some((ch, _))) = (tags.algorithms(), tags.canon()) else { continue };
        if tags.b.is_empty() || tags.d.is_empty() || tags.s.is_empty() {
            continue;
        }
        let data = dkim::signed_data(&split, &names, &tags.h, ch, &split.headers[idx]);
        out.push(Signed {
            message,
            domain: tags.d.to_ascii_lowercase(),
            selector: tags.s.to_ascii_lowercase(),
            algorithm: tags.a.clone(),
            rsa: key_alg == KeyAlg::Rsa,
            hash,
            digest: hash.digest(&data),
            sig: tags.b,
        });
    }
    out
}

/// The signatures of one selector of one domain.
#[derive(Debug)]
pub struct Group {
    pub domain: String,
    pub selector: String,
    pub signatures: Vec<Signed>,
}

impl Group {
    /// `selector._domainkey.domain`.
    pub fn name(&self) -> String {
        format!("{}._domainkey.{}", self.selector, self.domain)
    }
}

/// Signatures grouped by domain and selector, in name order.
pub fn group(sigs: impl IntoIterator<Item = Signed>) -> Vec<Group> {
    let mut by: BTreeMap<(String, String), Vec<Signed>> = BTreeMap::new();
    for s in sigs {
        by.entry((s.domain.clone(), s.selector.clone())).or_default().push(s);
    }
    by.into_iter().map(|((domain, selector), signatures)| Group { domain, selector, signatures }).collect()
}

/// A key recovered for a group.
#[derive(Clone, Debug)]
pub struct Recovered {
    /// The modulus, big-endian, and its size.
    pub modulus: Vec<u8>,
    pub bits: usize,
    /// `v=DKIM1; k=rsa; n=leaktrace-recovered; p=…` (SubjectPublicKeyInfo).
    pub record_value: String,
    /// Indices (into the group's signatures) of those that verify with it.
    pub verifies: Vec<usize>,
}

/// What recovery found for one group.
#[derive(Debug, Default)]
pub struct Outcome {
    pub keys: Vec<Recovered>,
    /// Indices of RSA signatures no recovered key explains.
    pub unexplained: Vec<usize>,
    /// Sentences for the reader: why nothing (or not everything) was recovered.
    pub notes: Vec<String>,
    /// Pairs of signatures whose gcd was computed.
    pub pairs_tried: usize,
}

/// What [`recover`] is doing, for a progress bar.
#[derive(Clone, Copy, Debug)]
pub enum Stage {
    /// Computing s^e − m for the i-th signature used.
    Power(usize),
    /// The gcd of the pair tried.
    Gcd(usize),
    /// Checking every signature of the group against a candidate.
    Check,
}

/// EMSA-PKCS1-v1_5 (RFC 8017 §9.2) of a digest for a k-byte modulus.
fn encoded(hash: HashAlg, digest: &[u8], k: usize) -> Option<UBig> {
    let t: Vec<u8> = hash.digest_info_prefix().iter().chain(digest).copied().collect();
    if k < t.len() + 11 {
        return None;
    }
    let mut em = vec![0xffu8; k];
    em[0] = 0;
    em[1] = 1;
    em[k - t.len() - 1] = 0;
    em[k - t.len()..].copy_from_slice(&t);
    Some(UBig::from_be_bytes(&em))
}

/// Divide out the odd primes below [`SMALL_PRIMES_BELOW`] and factors of 2.
fn without_small_factors(mut g: UBig) -> UBig {
    if g == UBig::ZERO {
        return g;
    }
    if let Some(tz) = g.trailing_zeros() {
        g >>= tz;
    }
    let mut sieve = vec![true; SMALL_PRIMES_BELOW as usize];
    for p in 3..SMALL_PRIMES_BELOW {
        if p % 2 == 0 || !sieve[p as usize] {
            continue;
        }
        let mut m = p * p;
        while m < SMALL_PRIMES_BELOW {
            sieve[m as usize] = false;
            m += p;
        }
        let pu = UBig::from(p);
        while &g % p == 0 && g > pu {
            g /= p;
        }
    }
    g
}

/// Does signature `s` verify under modulus `n` (k bytes)?
fn verifies(ring: &ConstDivisor, n: &UBig, s: &Signed, k: usize) -> bool {
    let sig = UBig::from_be_bytes(&s.sig);
    if &sig >= n {
        return false;
    }
    let Some(m) = encoded(s.hash, &s.digest, k) else { return false };
    ring.reduce(sig).pow(&UBig::from(E)).residue() == m
}

/// The archive value written for a recovered modulus (big-endian):
/// `v=DKIM1; k=rsa; n=leaktrace-recovered; p=…` with exponent [`E`].
pub fn record_for_modulus(modulus: &[u8]) -> Option<String> {
    record_value(&UBig::from_be_bytes(modulus))
}

fn record_value(n: &UBig) -> Option<String> {
    use rsa::pkcs8::EncodePublicKey;
    let key = rsa::RsaPublicKey::new_with_max_size(
        rsa::BigUint::from_bytes_be(&n.to_be_bytes()),
        rsa::BigUint::from(E),
        16384,
    )
    .ok()?;
    let der = key.to_public_key_der().ok()?;
    Some(format!("v=DKIM1; k=rsa; n={RECOVERED_NOTE}; p={}", Base64::encode_string(der.as_bytes())))
}

/// Try to recover the key (or keys) behind a group's RSA signatures.
pub fn recover(group: &Group, progress: &mut dyn FnMut(Stage)) -> Outcome {
    let mut out = Outcome::default();
    let sigs = &group.signatures;
    let ed = sigs.iter().filter(|s| !s.rsa).count();
    if ed > 0 {
        out.notes.push(format!(
            "{ed} Ed25519 signature(s): an Ed25519 key cannot be recovered from signatures (only RSA keys can)."
        ));
    }
    let usable: Vec<usize> = (0..sigs.len())
        .filter(|&i| sigs[i].rsa && (MIN_SIGNATURE_BYTES..=MAX_SIGNATURE_BYTES).contains(&sigs[i].sig.len()))
        .collect();
    let odd = sigs.iter().filter(|s| s.rsa).count() - usable.len();
    if odd > 0 {
        out.notes
            .push(format!("{odd} RSA signature(s) of a size not used for recovery (keys of 512 to 4096 bits are)."));
    }
    // Signatures with the same bytes over the same hash add nothing (a message
    // kept twice): one of each is used, and all are checked at the end.
    let mut distinct: Vec<usize> = Vec::new();
    for &i in &usable {
        if !distinct.iter().any(|&j| sigs[j].sig == sigs[i].sig && sigs[j].digest == sigs[i].digest) {
            distinct.push(i);
        }
    }
    let k = usable.iter().map(|&i| sigs[i].sig.len()).max().unwrap_or(0);
    if distinct.len() < 2 {
        if !usable.is_empty() {
            out.notes.push(
                "Only one distinct RSA signature: a key needs at least two different signatures made with it.".into(),
            );
        }
        out.unexplained = usable;
        return out;
    }
    let mut powers: BTreeMap<usize, UBig> = BTreeMap::new();
    let mut power = |i: usize, progress: &mut dyn FnMut(Stage)| -> Option<UBig> {
        if let Some(p) = powers.get(&i) {
            return Some(p.clone());
        }
        progress(Stage::Power(powers.len() + 1));
        let s = UBig::from_be_bytes(&sigs[i].sig);
        let m = encoded(sigs[i].hash, &sigs[i].digest, k)?;
        let p = ntt::pow(&s, E as usize);
        let p = (p > m).then(|| p - m)?;
        powers.insert(i, p.clone());
        Some(p)
    };
    let mut open = distinct.clone();
    let mut explained = vec![false; sigs.len()];
    'outer: while open.len() >= 2 && out.pairs_tried < MAX_PAIRS_PER_GROUP {
        let u = open[0];
        for vi in 1..open.len() {
            if out.pairs_tried >= MAX_PAIRS_PER_GROUP {
                break 'outer;
            }
            let v = open[vi];
            let (Some(pu), Some(pv)) = (power(u, progress), power(v, progress)) else { continue };
            out.pairs_tried += 1;
            progress(Stage::Gcd(out.pairs_tried));
            let mut g = without_small_factors(bigint::gcd(pu, pv));
            // A multiple of n: the other signatures' residues divide it down.
            for &w in open.iter().filter(|&&w| w != u && w != v) {
                if g.bit_len() <= 8 * k {
                    break;
                }
                let ring = ConstDivisor::new(g.clone());
                let sw = ring.reduce(UBig::from_be_bytes(&sigs[w].sig)).pow(&UBig::from(E));
                let Some(mw) = encoded(sigs[w].hash, &sigs[w].digest, k) else { continue };
                let r = (sw - ring.reduce(mw)).residue();
                let h = bigint::gcd(g.clone(), r);
                if h.bit_len() + 8 >= 8 * k {
                    g = without_small_factors(h);
                }
            }
            if g.bit_len() > 8 * k || g.bit_len() + 8 <= 8 * k {
                continue;
            }
            progress(Stage::Check);
            let ring = ConstDivisor::new(g.clone());
            let ok: Vec<usize> = usable.iter().copied().filter(|&i| verifies(&ring, &g, &sigs[i], k)).collect();
            if !ok.contains(&u) || !ok.contains(&v) {
                continue;
            }
            let Some(record_value) = record_value(&g) else { continue };
            for &i in &ok {
                explained[i] = true;
            }
            open.retain(|&i| !explained[i]);
            out.keys.push(Recovered {
                bits: g.bit_len(),
                modulus: g.to_be_bytes().into_vec(),
                record_value,
                verifies: ok,
            });
            continue 'outer;
        }
        // u pairs with none of the others: it was made with a key none of them shares.
        open.remove(0);
    }
    out.unexplained = usable.iter().copied().filter(|&i| !explained[i]).collect();
    if !out.unexplained.is_empty() {
        let n = out.unexplained.len();
        let why = if out.pairs_tried >= MAX_PAIRS_PER_GROUP && open.len() >= 2 {
            format!("recovery stopped after {MAX_PAIRS_PER_GROUP} pairs tried")
        } else if out.keys.is_empty() {
            "no two of them share a key (different keys, altered messages, or not RSA PKCS#1 signatures with e=65537)"
                .to_string()
        } else {
            "no other signature shares their key".to_string()
        };
        out.notes.push(format!("{n} RSA signature(s) not explained by a recovered key: {why}."));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_factors_are_divided_out_and_nothing_else() {
        let n = UBig::from(1_000_000_007u64) * UBig::from(998_244_353u64);
        let g =
            &n * UBig::from(2u32 * 2 * 3 * 3 * 5) * UBig::from(19_997u32) * UBig::from(19_997u32) * UBig::from(12u8);
        assert_eq!(without_small_factors(g), n);
        assert_eq!(without_small_factors(n.clone()), n);
    }

    #[test]
    fn encoding_is_rfc_8017() {
        let m = encoded(HashAlg::Sha256, &[0xab; 32], 128).unwrap().to_be_bytes();
        assert_eq!(m.len(), 127, "the leading 0x00 is not a digit");
        assert_eq!(&m[..2], &[0x01, 0xff]);
        assert_eq!(&m[127 - 32 - 19 - 1..127 - 32 - 19], &[0x00]);
        assert!(encoded(HashAlg::Sha256, &[0; 32], 40).is_none());
    }
}
