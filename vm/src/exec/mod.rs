//! The interpreter: executes the bytecode produced by `translate`.
//!
//! # Dispatch
//! Every instruction begins with the address of its [`Handler`]. A handler reads its operands, does its work
//! and ends with `dispatch!`, which loads the next instruction's handler and calls it *in tail position*
//! with the machine state as arguments: `ip` (instruction pointer), `fp` (frame pointer: slot 0 of the
//! current frame), `mem`/`len` (base and byte length of the current instance's memory 0). In optimised
//! builds LLVM compiles these calls to jumps, so the hot state stays in registers and the host stack never
//! grows. Unoptimised builds run the same handlers from a loop (see `build.rs`).
//!
//! # The accumulator
//! A sixth argument, `acc`, carries a value from one instruction to the next in a machine register. About
//! 30–70% of executed instructions read the result of the instruction just before them (`benches/DISPATCH.md`,
//! "chained"); through a frame slot that is a store, a load and a store-to-load forwarding delay on the
//! critical path of every such pair. So when an instruction's result is a temporary that only the next
//! instruction reads, the translator picks the producer's variant that leaves the result in `acc`
//! (`ACC_OUT`) and the consumer's that reads that operand from `acc` (`ACC_IN`); both are const flags of
//! the same family (`binary_ss`, `load`, ...), so each variant is the same code with the slot access
//! swapped. The plain variant of those families writes its slot *and* hands the result over in `acc`
//! (a register move), so an instruction reading a local that the instruction just before it wrote
//! (`local.set`/`local.tee` of a result) reads it from `acc` too, with no other variant. `bin2`, `select`,
//! `add_shl` and `global.get` hand their result over the same way, and every return (and a host call) hands
//! the function's first result to the caller's next instruction. Every other handler passes 0. Addresses
//! count as operands: the loads and stores (and `add_shl`) take whichever of their base, index or value
//! the previous instruction computed from `acc` (`ACC_IN` numbers the operand), which takes a forwarding
//! delay off pointer-chasing loops such as zlib's `cur = prev[cur & mask]`. Wasmi 2.0, Wasm3 and Stitch
//! keep results in accumulator registers the same way.
//!
//! # Calls
//! A wasm → wasm call never recurses on the host stack: it pushes a [`Frame`] (return address, caller `fp`
//! and instance) on the store's frame stack and continues in the callee. The callee's frame starts at the
//! caller's argument slots, so arguments computed into temporaries are not copied; locals passed as
//! arguments are copied into those slots by the call itself (`call_moves`, two of them) or before it.
//! Stack exhaustion (of value slots or frames) traps with "call stack exhausted".
//!
//! # Safety
//! Handlers are `unsafe`: they trust the translator. Slot indices are within the frame size that the
//! function's `enter` instruction checked against the end of the value stack; branch offsets stay inside the
//! function; operand structs match what the translator wrote. Memory and table accesses are bounds-checked.
#![allow(unsafe_op_in_unsafe_fn)]

pub(crate) mod atomic;
pub(crate) mod call;
pub(crate) mod control;
pub(crate) mod exception;
pub(crate) mod gc;
pub(crate) mod memory;
pub(crate) mod memory_any;
pub(crate) mod numeric;
pub(crate) mod simd;
pub(crate) mod table;
pub(crate) mod variable;

use crate::error::{Trap, TrapCode};
use crate::ir::HANDLER_SIZE;
use crate::store::{InstanceEntity, StoreInner, TableInner};

/// Instruction pointer: the start of the current instruction.
pub(crate) type Ip = *const u8;
/// Frame pointer: slot 0 of the current call frame.
pub(crate) type Fp = *mut u64;
/// Base address of the current instance's memory 0 (dangling if it has none).
pub(crate) type Mem = *mut u8;

/// Executes one instruction. See the module docs. The last argument is the accumulator (see the module
/// docs): the previous instruction's result when it wrote it there instead of a slot.
pub(crate) type Handler = unsafe fn(Ip, Fp, Mem, usize, &mut Activation, u64) -> Exit;

/// Why the handler chain stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Loop dispatch only: run the next handler.
    #[cfg_attr(wasmvm_tail, allow(dead_code))]
    Continue,
    /// The entry function returned.
    Return,
    /// A trap; the reason is in `Activation::trap`.
    Trap,
}

/// A suspended caller, pushed by calls and popped by returns.
#[derive(Clone, Copy)]
pub(crate) struct Frame {
    /// Where to continue in the caller; null marks the entry from the host.
    pub ip: Ip,
    pub fp: Fp,
    pub instance: *mut InstanceEntity,
}

/// Machine state kept in memory between handlers in loop-dispatch mode.
#[cfg(not(wasmvm_tail))]
#[derive(Clone, Copy)]
pub(crate) struct Regs {
    pub ip: Ip,
    pub fp: Fp,
    pub mem: Mem,
    pub len: usize,
    pub acc: u64,
}

/// Per-activation execution context (lives on the host stack of `run`).
pub(crate) struct Activation {
    /// The instance whose code is running; changed only through `switch_to` (which keeps `globals` and
    /// `tables` with it).
    pub instance: *mut InstanceEntity,
    /// `(*instance).globals.as_ptr()`, kept here so a global is two dependent loads from `ctx`, not three
    /// (`global_add`, the shadow-stack pointer's update, runs in nearly every compiled function's prologue
    /// and epilogue).
    pub globals: *const *mut u64,
    /// `(*instance).tables.as_ptr()`, likewise: `call_indirect` is one dependent load shorter on its way to
    /// the callee's code.
    pub tables: *const *const TableInner,
    pub store: *mut StoreInner,
    /// Next free entry of the frame stack, and its end.
    pub frame_sp: *mut Frame,
    pub frames_end: *mut Frame,
    /// One past the last usable value slot.
    pub stack_end: *mut u64,
    /// The store's interrupt flag.
    pub interrupt: *const std::sync::atomic::AtomicBool,
    /// The store's remaining fuel.
    pub fuel: *const std::sync::atomic::AtomicI64,
    /// A call handed from a handler's fast path to its cold continuation (see `call::call_slow`).
    pub pending: call::Pending,
    pub trap: Option<Trap>,
    /// The instruction that trapped (for the backtrace).
    pub trap_ip: Ip,
    /// The frame of the handler the unwinder found (see `exception.rs`).
    pub unwind_fp: Fp,
    #[cfg(not(wasmvm_tail))]
    pub regs: Regs,
}

impl Activation {
    /// Make `instance` the running instance (its globals and tables arrays never move once instantiated).
    #[inline(always)]
    pub(crate) unsafe fn switch_to(&mut self, instance: *mut InstanceEntity) {
        self.instance = instance;
        self.globals = (*instance).globals.as_ptr();
        self.tables = (*instance).tables.as_ptr();
    }

    /// The running instance's table `index`.
    #[inline(always)]
    pub(crate) unsafe fn table<'a>(&self, index: u32) -> &'a TableInner {
        &**self.tables.add(index as usize)
    }

    /// Continue in `instance`'s code, whose memory 0 is returned: `(mem, len)` as they are when it is the
    /// running instance already (a call or return within one module), else after switching to it.
    #[inline(always)]
    pub(crate) unsafe fn enter_instance(
        &mut self,
        instance: *mut InstanceEntity,
        mem: Mem,
        len: usize,
    ) -> (Mem, usize) {
        if instance == self.instance {
            return (mem, len);
        }
        self.switch_to(instance);
        mem0(instance)
    }
}

/// Continue with the instruction at `$ip`; `; $acc` hands it a value in the accumulator (otherwise it
/// gets 0: only an instruction translated to read the accumulator reads it). `; arm N` passes the next
/// handler's address through [`opaque`]`::<N>`, so that two arms of a branch keep their own jumps (see
/// `control::branch`).
macro_rules! dispatch {
    ($ip:expr, $fp:expr, $mem:expr, $len:expr, $ctx:expr) => {
        $crate::exec::dispatch!($ip, $fp, $mem, $len, $ctx; 0)
    };
    ($ip:expr, $fp:expr, $mem:expr, $len:expr, $ctx:expr; $acc:expr $(; arm $arm:literal)?) => {{
        let ip: $crate::exec::Ip = $ip;
        let acc: u64 = $acc;
        #[cfg(wasmvm_tail)]
        {
            let handler = ip.cast::<$crate::exec::Handler>().read_unaligned();
            $(
                // SAFETY: `opaque` returns its argument, a handler's address.
                let handler = unsafe {
                    std::mem::transmute::<usize, $crate::exec::Handler>($crate::exec::opaque::<$arm>(handler as usize))
                };
            )?
            return handler(ip, $fp, $mem, $len, $ctx, acc);
        }
        #[cfg(not(wasmvm_tail))]
        {
            $ctx.regs = $crate::exec::Regs { ip, fp: $fp, mem: $mem, len: $len, acc };
            return $crate::exec::Exit::Continue;
        }
    }};
}
pub(crate) use dispatch;

/// `x`, unchanged, through an empty assembly block: no instruction, but the optimiser no longer knows where
/// the value came from. `ARM` is written into the block's text, so blocks of different `ARM`s are different
/// code to it as well. `memory::check` uses it to keep an address it would otherwise compute twice, and
/// `control::branch` to keep the two arms' dispatches from being merged.
#[inline(always)]
pub(crate) fn opaque<const ARM: u8>(mut x: usize) -> usize {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    // SAFETY: an empty template (a comment); it only claims to change the register.
    unsafe {
        std::arch::asm!("/* {0} {1} */", inout(reg) x, const ARM, options(pure, nomem, nostack, preserves_flags));
    }
    x
}

/// The operand struct of the instruction at `ip`.
#[inline(always)]
pub(crate) unsafe fn operands<P: Copy>(ip: Ip) -> P {
    ip.add(HANDLER_SIZE).cast::<P>().read_unaligned()
}

/// The instruction after one with operands `p` (its shape is its type, so it cannot be mismatched).
#[inline(always)]
pub(crate) unsafe fn next<P: crate::ir::isa::Operands>(_p: &P, ip: Ip) -> Ip {
    ip.add(HANDLER_SIZE + std::mem::size_of::<P>())
}

/// The instruction after one with operand struct `P`.
#[inline(always)]
pub(crate) unsafe fn after<P>(ip: Ip) -> Ip {
    ip.add(HANDLER_SIZE + std::mem::size_of::<P>())
}

#[inline(always)]
pub(crate) unsafe fn get(fp: Fp, slot: u32) -> u64 {
    *fp.add(slot as usize)
}

#[inline(always)]
pub(crate) unsafe fn set(fp: Fp, slot: u32, v: u64) {
    *fp.add(slot as usize) = v;
}

/// Stop with a trap.
#[cold]
#[inline(never)]
pub(crate) fn trap(ctx: &mut Activation, ip: Ip, code: TrapCode) -> Exit {
    ctx.trap = Some(Trap::new(code));
    ctx.trap_ip = ip;
    Exit::Trap
}

/// Base and length of an instance's memory 0.
#[inline(always)]
pub(crate) unsafe fn mem0(instance: *const InstanceEntity) -> (Mem, usize) {
    let m = (*instance).mem0;
    if m.is_null() { (std::ptr::NonNull::dangling().as_ptr(), 0) } else { ((*m).base(), (*m).byte_len()) }
}

/// Run from `ip` in frame `fp` until the entry frame returns or a trap.
///
/// # Safety
/// `ctx` must describe a valid activation whose frame stack holds the entry frame (null `ip`), and `ip` must
/// be the entry of a function of `ctx.instance` whose arguments are in `fp`.
pub(crate) unsafe fn run(ctx: &mut Activation, ip: Ip, fp: Fp) -> Exit {
    let (mem, len) = mem0(ctx.instance);
    #[cfg(wasmvm_tail)]
    {
        let handler = ip.cast::<Handler>().read_unaligned();
        handler(ip, fp, mem, len, ctx, 0)
    }
    #[cfg(not(wasmvm_tail))]
    {
        ctx.regs = Regs { ip, fp, mem, len, acc: 0 };
        loop {
            let Regs { ip, fp, mem, len, acc } = ctx.regs;
            let handler = ip.cast::<Handler>().read_unaligned();
            match handler(ip, fp, mem, len, ctx, acc) {
                Exit::Continue => continue,
                other => return other,
            }
        }
    }
}
