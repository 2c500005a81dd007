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

const NULL_FRAME: Frame = Frame { ip: std::ptr::null(), fp: std::ptr::null_mut(), instance: std::ptr::null_mut() };

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
            self.frames = vec![NULL_FRAME; self.max_frames];
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
