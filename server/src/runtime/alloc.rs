//! A counting global allocator: the system allocator, plus an atomic count of the bytes currently
//! allocated, which INFO memory reports as `used_memory` (Redis's `zmalloc_used_memory`).
//!
//! The production binary registers it with `#[global_allocator]`; a process that does not (unit
//! tests, the simulator) reads 0 from `allocated_bytes`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes handed out and not yet freed. Relaxed ordering: it is a statistic, read for reports,
/// never used to synchronise anything.
static ALLOCATED_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Bytes currently allocated through `CountingAllocator`.
pub fn allocated_bytes() -> usize {
    ALLOCATED_BYTES.load(Ordering::Relaxed)
}

/// `std::alloc::System` with byte counting.
pub struct CountingAllocator;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so `System`'s
// guarantees hold; the counter is only arithmetic beside the call.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            ALLOCATED_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            ALLOCATED_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator (hence by `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        ALLOCATED_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by `System` with `layout`; the caller checked `new_size`.
        let new_ptr = unsafe { System.realloc(ptr, layout, new_size) };
        if !new_ptr.is_null() {
            if new_size >= layout.size() {
                ALLOCATED_BYTES.fetch_add(new_size - layout.size(), Ordering::Relaxed);
            } else {
                ALLOCATED_BYTES.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new_ptr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_allocation_growth_shrink_and_free() {
        // Proves each method moves the counter by exactly the bytes it allocates or frees (called
        // directly: the test binary does not register the allocator, so nothing else moves it).
        let a = CountingAllocator;
        let before = allocated_bytes();
        let layout = Layout::from_size_align(100, 8).unwrap();
        unsafe {
            let p = a.alloc(layout);
            assert_eq!(allocated_bytes(), before + 100);
            let p = a.realloc(p, layout, 300);
            assert_eq!(allocated_bytes(), before + 300);
            let bigger = Layout::from_size_align(300, 8).unwrap();
            let p = a.realloc(p, bigger, 50);
            assert_eq!(allocated_bytes(), before + 50);
            a.dealloc(p, Layout::from_size_align(50, 8).unwrap());
            assert_eq!(allocated_bytes(), before);
            let z = a.alloc_zeroed(layout);
            assert_eq!(*z, 0);
            assert_eq!(allocated_bytes(), before + 100);
            a.dealloc(z, layout);
        }
        assert_eq!(allocated_bytes(), before);
    }
}
