//! Deterministic pseudo-random numbers.
//!
//! Captures must be byte-identical for a given seed on every platform and
//! every build, so the generator cannot use OS entropy or an external crate
//! whose algorithm may change between releases. xoshiro256** (Blackman and
//! Vigna, "Scrambled linear pseudorandom number generators", 2018) is small,
//! fast and statistically far better than traffic jitter needs; SplitMix64 is
//! the seeding procedure its authors recommend, and doubles as a stateless
//! 64-bit hash for values that must be a pure function of their inputs.

/// One step of SplitMix64 (Steele, Lea and Flood, "Fast splittable
/// pseudorandom number generators", OOPSLA 2014).
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Stateless 64-bit mixing function: SplitMix64's finaliser applied to `x`.
///
/// Used where a value must depend only on its inputs (process values that
/// several simulated clients read and must agree on), not on call order.
pub fn mix64(x: u64) -> u64 {
    let mut state = x;
    splitmix64(&mut state)
}

/// xoshiro256** generator.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// Seeds the four state words from SplitMix64, which guarantees a
    /// non-zero state for every seed (including 0).
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        Self {
            s: [
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
            ],
        }
    }

    /// An independent stream for one traffic source.
    ///
    /// Giving every source its own stream keeps the sources decoupled: adding
    /// or reordering one source does not perturb the jitter of the others.
    pub fn stream(seed: u64, stream: u64) -> Self {
        Self::new(mix64(seed ^ mix64(stream.wrapping_add(0x5EED))))
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    pub fn next_u16(&mut self) -> u16 {
        (self.next_u64() >> 48) as u16
    }

    /// Uniform in `0..n` (0 when `n == 0`), by Lemire's multiply-shift, which
    /// avoids the modulo bias of `x % n` without a rejection loop; the
    /// residual bias (< n / 2^64) is irrelevant here.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi` (returns `lo` when the range is empty).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        match hi.checked_sub(lo) {
            None | Some(0) => lo,
            Some(u64::MAX) => self.next_u64(),
            Some(span) => lo + self.below(span + 1),
        }
    }

    /// Uniform in `[0, 1)` with 53 bits of precision.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }

    /// A uniformly chosen element, `None` for an empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let index = self.below(items.len() as u64) as usize;
        items.get(index)
    }

    /// Fills `buf` with random bytes (key material, ciphertext stand-ins).
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            for (slot, byte) in chunk.iter_mut().zip(bytes) {
                *slot = byte;
            }
        }
    }

    /// `base` scaled by a factor uniform in `[1 - spread, 1 + spread]`.
    pub fn jitter(&mut self, base: u64, spread: f64) -> u64 {
        let factor = 1.0 + spread * (2.0 * self.unit() - 1.0);
        (base as f64 * factor).max(0.0) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_reference_sequence() {
        // First outputs of the reference C implementation seeded with 0.
        let mut state = 0u64;
        assert_eq!(splitmix64(&mut state), 0xE220_A839_7B1D_CDAF);
        assert_eq!(splitmix64(&mut state), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(splitmix64(&mut state), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        let mut c = Rng::new(43);
        let xs: Vec<u64> = (0..16).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..16).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..16).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn streams_are_independent() {
        let mut a = Rng::stream(1, 0);
        let mut b = Rng::stream(1, 1);
        assert_ne!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn bounded_helpers_stay_in_range() {
        let mut rng = Rng::new(7);
        for _ in 0..10_000 {
            assert!(rng.below(10) < 10);
            let r = rng.range(5, 8);
            assert!((5..=8).contains(&r));
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
            let j = rng.jitter(1000, 0.1);
            assert!((900..=1100).contains(&j));
        }
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.range(3, 3), 3);
        assert_eq!(rng.range(5, 3), 5);
        rng.range(0, u64::MAX);
        assert_eq!(rng.pick::<u8>(&[]), None);
        let mut bytes = [0u8; 13];
        rng.fill(&mut bytes);
        assert!(bytes.iter().any(|&b| b != 0));
    }
}
