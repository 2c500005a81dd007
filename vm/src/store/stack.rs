//! The execution stack of a store: value slots and call frames, reused by every call (and by nested
//! host → wasm calls, which continue above the slots in use).

use std::ptr::NonNull;

use crate::engine::Config;
use crate::exec::Frame;

pub(crate) struct ExecStack {
    values: Zeroed<u64>,
    frames: Zeroed<Frame>,
    max_values: usize,
    max_frames: usize,
    /// First value slot free for a new activation.
    pub values_top: usize,
    /// First frame free for a new activation.
    pub frames_top: usize,
    /// Host → wasm nesting depth.
    pub depth: usize,
    pub max_depth: usize,
}

/// `n` zero-initialised `T`s in an anonymous mapping of their own, for the two stacks: the OS zeroes the
/// pages when first touched, so a store that only makes shallow calls touches (and keeps resident) a few
/// pages instead of `max_stack_slots` values and `max_call_depth` frames (9.5 MiB by default), and the
/// mapping goes back to the OS when the store is dropped. (A `vec![0; n]` is no substitute: once the
/// allocator has recycled a freed stack from its heap, `calloc` zeroes every byte of the next one.)
struct Zeroed<T> {
    ptr: NonNull<T>,
    len: usize,
}

// SAFETY: the mapping is owned by one `Zeroed` (like a `Vec`'s buffer) and reached only through it.
unsafe impl<T: Send> Send for Zeroed<T> {}

impl<T> Zeroed<T> {
    const EMPTY: Self = Self { ptr: NonNull::dangling(), len: 0 };

    /// Map `len` values (none if the mapping fails); `T` must be valid when all its bytes are zero.
    fn new(len: usize) -> Self {
        let Some(bytes) = len.checked_mul(size_of::<T>()).filter(|&b| b != 0 && b <= isize::MAX as usize) else {
            return Self::EMPTY;
        };
        let Some(p) = crate::memory::map_anonymous(bytes, true) else {
            // Left empty: the call that needed the stack traps with "call stack exhausted" (and the next
            // call tries again) instead of aborting the process.
            return Self::EMPTY;
        };
        Self { ptr: p.cast(), len }
    }
}

impl<T> Drop for Zeroed<T> {
    fn drop(&mut self) {
        if self.len != 0 {
            // SAFETY: the mapping made in `new`, of this size; nothing refers to it once the store is gone.
            unsafe { crate::memory::unmap(self.ptr.cast(), self.len * size_of::<T>()) };
        }
    }
}

impl ExecStack {
    pub(crate) fn new(config: &Config) -> Self {
        Self {
            values: Zeroed::EMPTY,
            frames: Zeroed::EMPTY,
            max_values: config.max_stack_slots.max(64),
            max_frames: config.max_call_depth.max(4),
            values_top: 0,
            frames_top: 0,
            depth: 0,
            max_depth: config.max_host_reentry.max(1),
        }
    }

    /// Map the stacks on first use (zeroed lazily by the OS).
    pub(crate) fn ensure(&mut self) {
        if self.values.len == 0 {
            self.values = Zeroed::new(self.max_values);
        }
        if self.frames.len == 0 {
            // An all-zero `Frame` is three null pointers.
            self.frames = Zeroed::new(self.max_frames);
        }
    }

    pub(crate) fn values_ptr(&mut self) -> *mut u64 {
        self.values.ptr.as_ptr()
    }
    pub(crate) fn values_len(&self) -> usize {
        self.values.len
    }
    pub(crate) fn frames_ptr(&mut self) -> *mut Frame {
        self.frames.ptr.as_ptr()
    }
    pub(crate) fn frames_len(&self) -> usize {
        self.frames.len
    }
}
