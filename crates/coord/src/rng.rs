//! The random numbers of the significance tests: SplitMix64, written out so
//! that a seed gives the same p-values on every machine and every leaktrace
//! version (library generators may change their streams between releases;
//! published results must not), and its finaliser used as a counter-based
//! generator, so that a draw depends only on what it is for (seed,
//! randomisation, account) and not on which thread made it.
//!
//! The timeline crate has the same generator; coordination does not depend
//! on the timeline, and thirty lines do not justify a shared crate.

/// SplitMix64 (Steele, Lea and Flood 2014).
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `0..n` (n > 0), without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0);
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }
}

/// SplitMix64's output function: a bijection of u64 that scrambles every bit.
pub fn mix(z: u64) -> u64 {
    let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stream keyed by several numbers (seed, network, randomisation, …):
/// distinct keys give unrelated streams.
pub fn keyed(parts: &[u64]) -> SplitMix64 {
    let mut s = 0x5851_F42D_4C95_7F2Du64;
    for &p in parts {
        s = mix(s ^ mix(p.wrapping_add(0x9E37_79B9_7F4A_7C15)));
    }
    SplitMix64::new(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_is_the_published_splitmix64() {
        // First outputs for seed 0 (reference values of the algorithm).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn keyed_streams_differ_and_repeat() {
        assert_eq!(keyed(&[1, 2, 3]).next_u64(), keyed(&[1, 2, 3]).next_u64());
        assert_ne!(keyed(&[1, 2, 3]).next_u64(), keyed(&[1, 3, 2]).next_u64());
        let mut r = keyed(&[7]);
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            seen[r.below(10) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| (900..1100).contains(&c)), "{seen:?}");
    }
}
