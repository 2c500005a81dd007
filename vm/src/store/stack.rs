//! The execution stack of a store: value slots and call frames, reused by every call (and by nested
//! host → wasm calls, which continue above the slots in use).

use crate::engine::Config;
use crate::exec::Frame;

pub(crate) struct ExecStack {
    values: Vec<u64>,
    frames: Vec<Frame>,
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

/// `n` null frames from a zeroed allocation: like the value stack, the pages are zeroed lazily by the OS, so
/// a store that only ever makes shallow calls touches (and keeps resident) only the first few pages, not
/// `max_call_depth` frames' worth (1.5 MiB by default).
fn zeroed_frames(n: usize) -> Vec<Frame> {
    let layout = std::alloc::Layout::array::<Frame>(n).expect("frame stack size fits in memory");
    if layout.size() == 0 {
        return Vec::new();
    }
    // SAFETY: the layout has a non-zero size; an all-zero `Frame` is valid (three null raw pointers); the
    // allocation comes from the global allocator with exactly the layout of a `Vec<Frame>` of capacity `n`.
    unsafe {
        let p = std::alloc::alloc_zeroed(layout).cast::<Frame>();
        if p.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        Vec::from_raw_parts(p, n, n)
    }
}

impl ExecStack {
    pub(crate) fn new(config: &Config) -> Self {
        Self {
            values: Vec::new(),
            frames: Vec::new(),
            max_values: config.max_stack_slots.max(64),
            max_frames: config.max_call_depth.max(4),
            values_top: 0,
            frames_top: 0,
            depth: 0,
            max_depth: config.max_host_reentry.max(1),
        }
    }

    /// Allocate the buffers on first use (the value stack is zeroed lazily by the OS).
    pub(crate) fn ensure(&mut self) {
        if self.values.is_empty() {
            self.values = vec![0u64; self.max_values];
            self.frames = zeroed_frames(self.max_frames);
        }
    }

    pub(crate) fn values_ptr(&mut self) -> *mut u64 {
        self.values.as_mut_ptr()
    }
    pub(crate) fn values_len(&self) -> usize {
        self.values.len()
    }
    pub(crate) fn frames_ptr(&mut self) -> *mut Frame {
        self.frames.as_mut_ptr()
    }
    pub(crate) fn frames_len(&self) -> usize {
        self.frames.len()
    }
}
