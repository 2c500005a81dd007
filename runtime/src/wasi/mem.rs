//! Guest memory and context access for the host functions.
//!
//! The implementations of the WASI functions see their world through [`Env`]: the [`WasiCtx`] and
//! the calling instance's memory 0. Memory goes through [`Memory::read`] and [`Memory::write`]
//! only, which bound-check and are safe on shared memories that other threads modify concurrently,
//! so no host code ever holds a slice into guest memory. A pointer or length that leaves the memory
//! (or an instance without memory) is reported as `EFAULT`, never a panic. Addresses are computed
//! in `u64`, so `ptr + len` cannot overflow.
//!
//! `Env` is object-safe: each function is compiled once, not once per store data type.

use wasmvm::{Caller, Memory};

use super::{Errno, WasiCtx, WasiResult};

/// How the host functions find the [`WasiCtx`] in the store's user data.
pub(crate) type Getter<T> = dyn Fn(&mut T) -> &mut WasiCtx + Send + Sync;

/// The world of a WASI function call.
pub(crate) trait Env {
    /// The WASI state.
    fn ctx(&mut self) -> &mut WasiCtx;
    /// Size of the guest memory in bytes (0 without memory).
    fn mem_size(&self) -> u64;
    /// Copy guest bytes at `addr` into `buf`.
    fn read(&self, addr: u64, buf: &mut [u8]) -> WasiResult;
    /// Copy `data` to guest memory at `addr`.
    fn write(&mut self, addr: u64, data: &[u8]) -> WasiResult;

    /// `EFAULT` unless `len` bytes at `addr` lie inside the memory.
    fn check(&self, addr: u64, len: u64) -> WasiResult {
        match addr.checked_add(len) {
            Some(end) if end <= self.mem_size() => Ok(()),
            _ => Err(Errno::FAULT),
        }
    }
    /// `len` guest bytes at `addr` (checked before allocating).
    fn read_bytes(&self, addr: u64, len: u32) -> Result<Vec<u8>, Errno> {
        self.check(addr, u64::from(len))?;
        let mut v = vec![0; len as usize];
        self.read(addr, &mut v)?;
        Ok(v)
    }
    fn write_u32(&mut self, addr: u64, v: u32) -> WasiResult {
        self.write(addr, &v.to_le_bytes())
    }
    fn write_u64(&mut self, addr: u64, v: u64) -> WasiResult {
        self.write(addr, &v.to_le_bytes())
    }
    /// The `(buf, len)` pairs of an `iovec`/`ciovec` array of `n` entries.
    fn iovecs(&self, iovs: u32, n: u32) -> Result<Vec<(u32, u32)>, Errno> {
        let raw = self.read_bytes(u64::from(iovs), n.checked_mul(8).ok_or(Errno::FAULT)?)?;
        Ok(raw
            .chunks_exact(8)
            .map(|c| {
                let word = |i: usize| u32::from_le_bytes([c[i], c[i + 1], c[i + 2], c[i + 3]]);
                (word(0), word(4))
            })
            .collect())
    }
}

/// [`Env`] over a host-function [`Caller`].
pub(crate) struct Guest<'a, T> {
    caller: Caller<'a, T>,
    memory: Option<Memory>,
    get: &'a Getter<T>,
}

impl<'a, T> Guest<'a, T> {
    pub fn new(caller: Caller<'a, T>, get: &'a Getter<T>) -> Self {
        let memory = caller.memory();
        Self { caller, memory, get }
    }
}

impl<T> Env for Guest<'_, T> {
    fn ctx(&mut self) -> &mut WasiCtx {
        (self.get)(self.caller.data_mut())
    }
    fn mem_size(&self) -> u64 {
        self.memory.and_then(|m| m.data_size(&self.caller).ok()).map_or(0, |n| n as u64)
    }
    fn read(&self, addr: u64, buf: &mut [u8]) -> WasiResult {
        let m = self.memory.ok_or(Errno::FAULT)?;
        m.read(&self.caller, addr, buf).map_err(|_| Errno::FAULT)
    }
    fn write(&mut self, addr: u64, data: &[u8]) -> WasiResult {
        let m = self.memory.ok_or(Errno::FAULT)?;
        m.write(&mut self.caller, addr, data).map_err(|_| Errno::FAULT)
    }
}

/// Address of a guest pointer plus an offset.
pub(crate) fn at(ptr: u32, offset: u64) -> u64 {
    u64::from(ptr) + offset
}
