//! Prefetching a table entry (the third part of the crate's `unsafe`, see `raw`).
//!
//! A fixed-base exponentiation reads 26 entries of a 13 MiB table, each from a random place and
//! so from memory, not a cache: the device spent about a third as long waiting for them as in
//! its products. Asked for one entry ahead, the memory delivers it during the product before.

/// Asks the CPU to bring the cache lines of `data` in ahead of its use. Only a hint: it changes
/// nothing the program can observe but time.
pub(crate) fn prefetch<T>(data: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        const LINE: usize = 64;
        let start = data.as_ptr().cast::<i8>();
        let bytes = std::mem::size_of_val(data);
        // Every line the slice touches: one per 64 bytes from its start, and the line of its
        // last byte (a slice need not start on a line).
        let offsets = (0..bytes).step_by(LINE).chain(bytes.checked_sub(1));
        for offset in offsets {
            // SAFETY: `_mm_prefetch` is an SSE instruction, which every x86-64 CPU has; it
            // reads nothing into registers, cannot fault whatever the address, and writes
            // nothing. The address is inside `data` (offset < its size), a live borrow.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(offset)) }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

#[cfg(test)]
mod tests {
    use super::prefetch;

    #[test]
    fn a_prefetch_changes_nothing_of_any_slice() {
        let data: Vec<u64> = (0..200).collect();
        for (from, to) in [(0, 0), (0, 1), (3, 67), (0, 200), (199, 200)] {
            let before = data[from..to].to_vec();
            prefetch(&data[from..to]);
            assert_eq!(data[from..to], before[..]);
        }
        prefetch::<u8>(&[]);
    }
}
