//! A column of integers: a vector, or a range of a mapped cache file.
//!
//! The coordination cache (see [`crate::cache`]) stores integer columns
//! little-endian and 8-byte aligned, so on a little-endian machine a run
//! can use them where they lie in the page cache: nothing is copied, and the
//! pages of a column no run step reads are never touched. A column read from
//! a mapping turns into a vector the first time it is changed.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The integer types a column holds.
pub trait Int: FromBytes + IntoBytes + Immutable + KnownLayout + Copy + Default + PartialEq + fmt::Debug {}
impl<T: FromBytes + IntoBytes + Immutable + KnownLayout + Copy + Default + PartialEq + fmt::Debug> Int for T {}

pub struct Column<T> {
    inner: Inner<T>,
}

enum Inner<T> {
    Owned(Vec<T>),
    /// `len` values from byte `at` of the mapping (checked aligned and in
    /// range when made).
    Mapped {
        map: Arc<memmap2::Mmap>,
        at: usize,
        len: usize,
    },
}

impl<T: Int> Column<T> {
    /// `len` values at byte `at` of `map`, when they lie inside it and are
    /// aligned for `T`.
    pub(crate) fn mapped(map: &Arc<memmap2::Mmap>, at: usize, len: usize) -> Option<Column<T>> {
        let end = at.checked_add(len.checked_mul(size_of::<T>())?)?;
        <[T]>::ref_from_bytes(map.get(at..end)?).ok()?;
        Some(Column { inner: Inner::Mapped { map: map.clone(), at, len } })
    }

    fn owned(&mut self) -> &mut Vec<T> {
        if let Inner::Mapped { .. } = self.inner {
            self.inner = Inner::Owned(self.to_vec());
        }
        match &mut self.inner {
            Inner::Owned(v) => v,
            Inner::Mapped { .. } => unreachable!("just made owned"),
        }
    }

    #[inline]
    pub fn push(&mut self, v: T) {
        match &mut self.inner {
            Inner::Owned(vec) => vec.push(v),
            Inner::Mapped { .. } => self.owned().push(v),
        }
    }

    pub fn reserve_exact(&mut self, n: usize) {
        self.owned().reserve_exact(n);
    }
}

impl<T: Int> Deref for Column<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match &self.inner {
            Inner::Owned(v) => v,
            Inner::Mapped { map, at, len } => {
                <[T]>::ref_from_bytes(&map[*at..*at + *len * size_of::<T>()]).expect("checked when mapped")
            }
        }
    }
}

impl<T: Int> DerefMut for Column<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.owned()
    }
}

impl<T> From<Vec<T>> for Column<T> {
    fn from(v: Vec<T>) -> Column<T> {
        Column { inner: Inner::Owned(v) }
    }
}

impl<T> Default for Column<T> {
    fn default() -> Column<T> {
        Column { inner: Inner::Owned(Vec::new()) }
    }
}

impl<T: Int> Clone for Column<T> {
    fn clone(&self) -> Column<T> {
        match &self.inner {
            Inner::Owned(v) => Column::from(v.clone()),
            Inner::Mapped { map, at, len } => Column { inner: Inner::Mapped { map: map.clone(), at: *at, len: *len } },
        }
    }
}

impl<T: Int> PartialEq for Column<T> {
    fn eq(&self, other: &Column<T>) -> bool {
        **self == **other
    }
}

impl<T: Int> fmt::Debug for Column<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_columns_read_in_place_and_copy_on_change() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f");
        let values: Vec<u32> = (0..100).collect();
        let mut bytes = vec![0u8; 8];
        bytes.extend_from_slice(values.as_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        // SAFETY: the file is private to this test and not changed while mapped.
        let map = Arc::new(unsafe { memmap2::Mmap::map(&file) }.unwrap());
        let mut c: Column<u32> = Column::mapped(&map, 8, 100).unwrap();
        assert_eq!(&*c, values.as_slice());
        assert!(Column::<u32>::mapped(&map, 8, 101).is_none(), "past the end");
        assert!(Column::<u32>::mapped(&map, 6, 10).is_none(), "misaligned");
        assert!(Column::<u64>::mapped(&map, 8, usize::MAX).is_none(), "overflowing length");
        c[3] = 7;
        c.push(100);
        assert_eq!((c[3], c.len(), map[8 + 12]), (7, 101, 3), "changed as a copy, the file untouched");
    }
}
