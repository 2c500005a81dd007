//! The instruction table's families grouped the way the translator chooses among them: for one numeric
//! operation, load kind or store width, every typed [`Instr`] it may emit, with named fields for each choice
//! (operand shape, private or shared memory, branch when true or false, ...).

use super::isa::{self, *};
use super::ops::{BinaryOp, BinaryVisitor, CmpVisitor, LoadOp, LoadVisitor, OpSubset, StoreOp, StoreVisitor};
use super::ops::{I64Add, I64And, I64Or, I64Sub, I64Xor, UnaryOp, UnaryVisitor};
use crate::memory::atomic::RmwOp;
use std::marker::PhantomData;

/// One handler per kind of memory: private memories use plain accesses, shared ones race-safe accesses.
#[derive(Clone, Copy)]
pub(crate) struct ByMemory<T> {
    pub private: T,
    pub shared: T,
}

impl<T: Copy> ByMemory<T> {
    pub(crate) fn pick(self, shared: bool) -> T {
        if shared { self.shared } else { self.private }
    }
}

/// Branch handlers: taken when the condition holds, or when it does not.
#[derive(Clone, Copy)]
pub(crate) struct ByCondition<T> {
    pub when_true: T,
    pub when_false: T,
}

impl<T: Copy> ByCondition<T> {
    pub(crate) fn pick(self, when: bool) -> T {
        if when { self.when_true } else { self.when_false }
    }
}

/// Handlers whose operand field holds an immediate, or a slot index.
#[derive(Clone, Copy)]
pub(crate) struct ByOperand<T> {
    pub imm: T,
    pub slot: T,
}

impl<T: Copy> ByOperand<T> {
    pub(crate) fn pick(self, in_slot: bool) -> T {
        if in_slot { self.slot } else { self.imm }
    }
}

/// The handlers of one binary instruction, by operand shape (and accumulator variant: `a` or `b` from the
/// accumulator for `ss`, `a` for `si`).
#[derive(Clone, Copy)]
pub(crate) struct BinaryHandlers {
    pub ss: AccVariants<BinSS, 3>,
    pub si: AccVariants<BinSI, 2>,
    pub is: Instr<BinIS>,
}

pub(crate) struct GetBinary;
impl BinaryVisitor for GetBinary {
    type Output = BinaryHandlers;
    fn visit<Op: BinaryOp + 'static>(self) -> BinaryHandlers {
        BinaryHandlers {
            ss: AccVariants {
                by: [
                    [binary_ss::op::<Op, 0, false>(), binary_ss::op::<Op, 0, true>()],
                    [binary_ss::op::<Op, 1, false>(), binary_ss::op::<Op, 1, true>()],
                    [binary_ss::op::<Op, 2, false>(), binary_ss::op::<Op, 2, true>()],
                ],
            },
            si: AccVariants {
                by: [
                    [binary_si::op::<Op, false, false>(), binary_si::op::<Op, false, true>()],
                    [binary_si::op::<Op, true, false>(), binary_si::op::<Op, true, true>()],
                ],
            },
            is: binary_is::op::<Op>(),
        }
    }
}

pub(crate) struct GetUnary;
impl UnaryVisitor for GetUnary {
    type Output = AccVariants<Un, 2>;
    fn visit<Op: UnaryOp + 'static>(self) -> AccVariants<Un, 2> {
        AccVariants {
            by: [
                [unary::op::<Op, false, false>(), unary::op::<Op, false, true>()],
                [unary::op::<Op, true, false>(), unary::op::<Op, true, true>()],
            ],
        }
    }
}

/// An instruction reading one operand from a slot or from the accumulator: `family::<ARGS..>` instantiated
/// with `ACC_IN` (its last const parameter) false and true; or, for one reading any of several operands
/// from it, with each of the numbers given (0: none, `k`: the `k`-th).
macro_rules! acc_inputs {
    ($family:ident $(:: <$($arg:tt),*>)?) => {
        AccInputs { by: [$family::op::<$($($arg,)*)? false>(), $family::op::<$($($arg,)*)? true>()] }
    };
    ($family:ident :: <$($arg:tt),*>; $k0:literal, $k1:literal, $k2:literal) => {
        AccInputs { by: [$family::op::<$($arg,)* $k0>(), $family::op::<$($arg,)* $k1>(), $family::op::<$($arg,)* $k2>()] }
    };
    ($family:ident :: <$($arg:tt),*>; $k0:literal, $k1:literal, $k2:literal, $k3:literal) => {
        AccInputs {
            by: [
                $family::op::<$($arg,)* $k0>(),
                $family::op::<$($arg,)* $k1>(),
                $family::op::<$($arg,)* $k2>(),
                $family::op::<$($arg,)* $k3>(),
            ],
        }
    };
}

/// `add_shl` by shift amount (1..=3), with its variants reading the base or the index from the accumulator.
pub(crate) fn add_shl_by(shift: u32) -> AccInputs<BinSS, 3> {
    match shift {
        1 => acc_inputs!(add_shl::<1>; 0, 1, 2),
        2 => acc_inputs!(add_shl::<2>; 0, 1, 2),
        _ => acc_inputs!(add_shl::<3>; 0, 1, 2),
    }
}

/// `br_table` reading its index from a slot, or from the accumulator.
pub(crate) fn br_table_variants() -> AccInputs<BrTable, 2> {
    acc_inputs!(br_table)
}

/// `br_table` on an index plus a constant, the index from a slot or the accumulator.
pub(crate) fn br_table_add_variants() -> AccInputs<BrTableAdd, 2> {
    acc_inputs!(br_table_add)
}

/// `br_if` (branch if the condition is non-zero, `nez`, or zero) reading its condition from a slot, or from
/// the accumulator.
pub(crate) fn br_if_variants(nez: bool) -> AccInputs<BrIf, 2> {
    match nez {
        true => acc_inputs!(br_if_nez),
        false => acc_inputs!(br_if_eqz),
    }
}

/// `select` with its condition, first or second value (1, 2, 3) from the accumulator, or none (0).
pub(crate) fn select_variants() -> AccInputs<Select, 4> {
    AccInputs { by: [select::op::<0>(), select::op::<1>(), select::op::<2>(), select::op::<3>()] }
}

/// `select` with an immediate as its first (`imm_first`) or second value, with its condition or its value
/// in a slot (1, 2) from the accumulator, or none (0).
pub(crate) fn select_imm_variants(imm_first: bool) -> AccInputs<SelectImm, 3> {
    match imm_first {
        true => {
            AccInputs { by: [select_imm::op::<true, 0>(), select_imm::op::<true, 1>(), select_imm::op::<true, 2>()] }
        }
        false => {
            AccInputs { by: [select_imm::op::<false, 0>(), select_imm::op::<false, 1>(), select_imm::op::<false, 2>()] }
        }
    }
}

/// `add2` reading its first addition's operand from a slot or the accumulator.
pub(crate) fn add2_variants() -> AccInputs<Add2, 2> {
    acc_inputs!(add2)
}

/// `return` of one value, from a slot or the accumulator.
pub(crate) fn return1_variants() -> AccInputs<Return1, 2> {
    acc_inputs!(return1)
}

/// `global.set` of a value in a slot or the accumulator.
pub(crate) fn global_set_variants() -> AccInputs<GlobalSet, 2> {
    acc_inputs!(global_set)
}

/// The handlers of a fused pair `(a INNER b) OUTER c` by whether `b` and `c` are immediates, each with its
/// accumulator variant (`a` from the accumulator). (An outer operation whose right-hand side is the inner
/// result is commuted by the translator, or is `I32SubFrom`.)
pub(crate) struct Bin2Handlers {
    by_flags: [AccInputs<Bin2, 2>; 4],
}

impl Bin2Handlers {
    pub(crate) fn pick(&self, b_imm: bool, c_imm: bool) -> &AccInputs<Bin2, 2> {
        &self.by_flags[(b_imm as usize) << 1 | c_imm as usize]
    }
}

/// The handlers of a fused pair `(a INNER b) SHIFT k` (`bin2` whose outer operation is a shift or rotation by
/// the constant `k`), by whether `b` is an immediate, each with its accumulator variant.
pub(crate) struct Bin2ShiftHandlers {
    by_b_imm: [AccInputs<Bin2, 2>; 2],
}

impl Bin2ShiftHandlers {
    pub(crate) fn pick(&self, b_imm: bool) -> &AccInputs<Bin2, 2> {
        &self.by_b_imm[b_imm as usize]
    }
}

/// A set of `bin2` handlers for one pair of operations ([`Bin2Handlers`], [`Bin2ShiftHandlers`]).
pub(crate) trait Bin2Set {
    fn of<Inner: BinaryOp + 'static, Outer: BinaryOp + 'static>() -> Self;
}

impl Bin2Set for Bin2Handlers {
    fn of<Inner: BinaryOp + 'static, Outer: BinaryOp + 'static>() -> Self {
        Bin2Handlers {
            by_flags: [
                acc_inputs!(bin2::<Inner, Outer, false, false>),
                acc_inputs!(bin2::<Inner, Outer, false, true>),
                acc_inputs!(bin2::<Inner, Outer, true, false>),
                acc_inputs!(bin2::<Inner, Outer, true, true>),
            ],
        }
    }
}

impl Bin2Set for Bin2ShiftHandlers {
    fn of<Inner: BinaryOp + 'static, Outer: BinaryOp + 'static>() -> Self {
        Bin2ShiftHandlers {
            by_b_imm: [acc_inputs!(bin2::<Inner, Outer, false, true>), acc_inputs!(bin2::<Inner, Outer, true, true>)],
        }
    }
}

/// Instantiates the handler set `B` for an inner operation (the visited type), then (through
/// [`GetBin2Outer`]) for the outer one, from its subset: `inner.with(GetBin2::<Bin2Handlers, _>::new(outer))`.
pub(crate) struct GetBin2<B, S>(S, PhantomData<B>);

impl<B, S> GetBin2<B, S> {
    pub(crate) fn new(outer: S) -> Self {
        GetBin2(outer, PhantomData)
    }
}

impl<B: Bin2Set, S: OpSubset> BinaryVisitor for GetBin2<B, S> {
    type Output = B;
    fn visit<Inner: BinaryOp + 'static>(self) -> B {
        self.0.with(GetBin2Outer::<B, Inner>(PhantomData))
    }
}

pub(crate) struct GetBin2Outer<B, Inner>(PhantomData<(B, Inner)>);
impl<B: Bin2Set, Inner: BinaryOp + 'static> BinaryVisitor for GetBin2Outer<B, Inner> {
    type Output = B;
    fn visit<Outer: BinaryOp + 'static>(self) -> B {
        B::of::<Inner, Outer>()
    }
}

/// The fused compare-and-branch handlers of one comparison.
#[derive(Clone, Copy)]
pub(crate) struct BrCmpHandlers {
    pub ss: ByCondition<isa::Instr<BrCmpSS>>,
    pub si: ByCondition<isa::Instr<BrCmpSI>>,
    /// `ss` and `si` with their accumulator variants (`a` or `b`; `a`).
    pub ss_acc: ByCondition<AccInputs<BrCmpSS, 3>>,
    pub si_acc: ByCondition<AccInputs<BrCmpSI, 2>>,
    /// `select` on the comparison, by where its right-hand side is.
    pub select: ByOperand<isa::Instr<SelectCmp>>,
    /// Increment, then compare and branch (i32 comparisons only): by condition, then where the increment
    /// is, then where the right-hand side is.
    pub add: ByCondition<ByOperand<ByOperand<isa::Instr<AddBrCmp>>>>,
    /// The same for i64 comparisons of an i64 increment (memory64 loops count in i64).
    pub add64: ByCondition<ByOperand<ByOperand<isa::Instr<AddBrCmp>>>>,
    /// A 32-bit load, then compare and branch (32-bit comparisons only): by condition, then where the
    /// right-hand side is.
    pub load: ByCondition<ByOperand<isa::Instr<LoadBrCmp>>>,
}

pub(crate) struct GetBrCmp;
impl CmpVisitor for GetBrCmp {
    type Output = BrCmpHandlers;
    fn visit<Op: BinaryOp<Out = i32> + 'static>(self) -> BrCmpHandlers {
        fn add<Op: BinaryOp<Out = i32> + 'static, const WHEN: bool>() -> ByOperand<ByOperand<isa::Instr<AddBrCmp>>> {
            ByOperand {
                imm: ByOperand {
                    imm: add_br_cmp::op::<Op, WHEN, false, false>(),
                    slot: add_br_cmp::op::<Op, WHEN, false, true>(),
                },
                slot: ByOperand {
                    imm: add_br_cmp::op::<Op, WHEN, true, false>(),
                    slot: add_br_cmp::op::<Op, WHEN, true, true>(),
                },
            }
        }
        fn add64<Op: BinaryOp<Out = i32> + 'static, const WHEN: bool>() -> ByOperand<ByOperand<isa::Instr<AddBrCmp>>> {
            ByOperand {
                imm: ByOperand {
                    imm: add_br_cmp64::op::<Op, WHEN, false, false>(),
                    slot: add_br_cmp64::op::<Op, WHEN, false, true>(),
                },
                slot: ByOperand {
                    imm: add_br_cmp64::op::<Op, WHEN, true, false>(),
                    slot: add_br_cmp64::op::<Op, WHEN, true, true>(),
                },
            }
        }
        fn load<Op: BinaryOp<Out = i32> + 'static, const WHEN: bool>() -> ByOperand<isa::Instr<LoadBrCmp>> {
            ByOperand { imm: load_br_cmp::op::<Op, WHEN, false>(), slot: load_br_cmp::op::<Op, WHEN, true>() }
        }
        fn ss<Op: BinaryOp<Out = i32> + 'static, const WHEN: bool>() -> AccInputs<BrCmpSS, 3> {
            AccInputs {
                by: [br_cmp_ss::op::<Op, WHEN, 0>(), br_cmp_ss::op::<Op, WHEN, 1>(), br_cmp_ss::op::<Op, WHEN, 2>()],
            }
        }
        fn si<Op: BinaryOp<Out = i32> + 'static, const WHEN: bool>() -> AccInputs<BrCmpSI, 2> {
            acc_inputs!(br_cmp_si::<Op, WHEN>)
        }
        let (ss_true, ss_false) = (ss::<Op, true>(), ss::<Op, false>());
        let (si_true, si_false) = (si::<Op, true>(), si::<Op, false>());
        BrCmpHandlers {
            ss: ByCondition { when_true: ss_true.plain(), when_false: ss_false.plain() },
            si: ByCondition { when_true: si_true.plain(), when_false: si_false.plain() },
            ss_acc: ByCondition { when_true: ss_true, when_false: ss_false },
            si_acc: ByCondition { when_true: si_true, when_false: si_false },
            select: ByOperand { imm: select_cmp::op::<Op, false>(), slot: select_cmp::op::<Op, true>() },
            add: ByCondition { when_true: add::<Op, true>(), when_false: add::<Op, false>() },
            add64: ByCondition { when_true: add64::<Op, true>(), when_false: add64::<Op, false>() },
            load: ByCondition { when_true: load::<Op, true>(), when_false: load::<Op, false>() },
        }
    }
}

/// Both memory kinds of a family with one generic operation and a `SHARED` flag (and more flags).
macro_rules! by_memory {
    ($family:ident :: <$Op:ident $(, $flag:literal)*>) => {
        ByMemory { private: $family::op::<$Op, false $(, $flag)*>(), shared: $family::op::<$Op, true $(, $flag)*>() }
    };
}

/// The handlers of one load kind by addressing form.
pub(crate) struct LoadHandlers {
    pub slot: ByMemory<isa::Instr<Load>>,
    /// `slot` for private memories, with its accumulator variants (address in, value out).
    pub slot_acc: AccVariants<Load, 2>,
    pub abs: ByMemory<isa::Instr<LoadAbs>>,
    pub si: ByMemory<isa::Instr<LoadSI>>,
    /// Base plus scaled index, by shift (0..=3).
    pub ss: [ByMemory<isa::Instr<LoadSS>>; 4],
    /// `si` and `ss` for private memories, with their variants leaving the value in the accumulator.
    pub si_acc: AccVariants<LoadSI, 2>,
    pub ss_acc: [AccVariants<LoadSS, 3>; 4],
    /// Load and branch (private memories only), by addressing form.
    pub br: ByCondition<isa::Instr<LoadBr>>,
    pub br_ss: ByCondition<isa::Instr<LoadBrSS>>,
    /// Two loads in a row (private memories only): independent, or the second through the first's value.
    pub pair: [isa::Instr<LoadPair>; 2],
    /// Two loads and a branch if they are equal (`when_true`) or differ (`when_false`).
    pub pair_br: ByCondition<isa::Instr<LoadPairBr>>,
    /// The value as a `br_table` index (i32 loads of private memories), the address from a slot or the
    /// accumulator.
    pub br_table: AccInputs<LoadBrTable, 2>,
}

pub(crate) struct GetLoad;
impl LoadVisitor for GetLoad {
    type Output = LoadHandlers;
    fn visit<Op: LoadOp + 'static>(self) -> LoadHandlers {
        // `load_ss` by shift, private memory: `by[acc_in][acc_out]`, the base (1) or index (2) read from
        // the accumulator.
        macro_rules! ss_acc {
            ($k:literal) => {
                AccVariants {
                    by: [
                        [load_ss::op::<Op, false, $k, 0, false>(), load_ss::op::<Op, false, $k, 0, true>()],
                        [load_ss::op::<Op, false, $k, 1, false>(), load_ss::op::<Op, false, $k, 1, true>()],
                        [load_ss::op::<Op, false, $k, 2, false>(), load_ss::op::<Op, false, $k, 2, true>()],
                    ],
                }
            };
        }
        LoadHandlers {
            slot: by_memory!(load::<Op, false, false>),
            slot_acc: AccVariants {
                by: [
                    [load::op::<Op, false, false, false>(), load::op::<Op, false, false, true>()],
                    [load::op::<Op, false, true, false>(), load::op::<Op, false, true, true>()],
                ],
            },
            abs: by_memory!(load_abs::<Op, false>),
            si: by_memory!(load_si::<Op, false, false>),
            ss: [
                by_memory!(load_ss::<Op, 0, 0, false>),
                by_memory!(load_ss::<Op, 1, 0, false>),
                by_memory!(load_ss::<Op, 2, 0, false>),
                by_memory!(load_ss::<Op, 3, 0, false>),
            ],
            si_acc: AccVariants {
                by: [
                    [load_si::op::<Op, false, false, false>(), load_si::op::<Op, false, false, true>()],
                    [load_si::op::<Op, false, true, false>(), load_si::op::<Op, false, true, true>()],
                ],
            },
            ss_acc: [ss_acc!(0), ss_acc!(1), ss_acc!(2), ss_acc!(3)],
            br: ByCondition { when_true: load_br::op::<Op, true>(), when_false: load_br::op::<Op, false>() },
            br_ss: ByCondition { when_true: load_br_ss::op::<Op, true>(), when_false: load_br_ss::op::<Op, false>() },
            pair: [load_pair::op::<Op, false>(), load_pair::op::<Op, true>()],
            pair_br: ByCondition {
                when_true: load_pair_br::op::<Op, true>(),
                when_false: load_pair_br::op::<Op, false>(),
            },
            br_table: acc_inputs!(load_br_table::<Op>),
        }
    }
}

/// The fused compare-and-branch handlers of a comparison, built once per process.
pub(crate) fn br_cmp_handlers(op: super::ops::CmpOp) -> &'static BrCmpHandlers {
    static ALL: std::sync::OnceLock<Vec<BrCmpHandlers>> = std::sync::OnceLock::new();
    &ALL.get_or_init(|| super::ops::CmpOp::ALL.iter().map(|c| c.with_cmp(GetBrCmp)).collect())[op as usize]
}

/// Defines `$name(key) -> &'static $T`: the handler set of every `$Key` (`$Key::ALL`, visited with
/// `$visit`), built once per process — a translation asks at every operation, and each set holds many
/// instructions with their accumulator variants.
macro_rules! handler_sets {
    ($($(#[$doc:meta])* $name:ident($Key:ident) -> $T:ty = $visit:expr;)*) => {$(
        $(#[$doc])*
        pub(crate) fn $name(key: super::ops::$Key) -> &'static $T {
            static ALL: std::sync::OnceLock<Vec<$T>> = std::sync::OnceLock::new();
            &ALL.get_or_init(|| super::ops::$Key::ALL.iter().map(|k| k.with($visit)).collect())[key as usize]
        }
    )*};
}

handler_sets! {
    /// The handlers of a binary operation.
    binary_handlers(BinOp) -> BinaryHandlers = GetBinary;
    /// The same for comparisons.
    compare_handlers(CmpOp) -> BinaryHandlers = GetBinary;
    /// The same for unary operations.
    unary_handlers(UnOp) -> AccVariants<Un, 2> = GetUnary;
    /// The handlers of a load kind.
    load_handlers(LoadKind) -> LoadHandlers = GetLoad;
    /// The handlers of a store width.
    store_handlers(StoreKind) -> StoreHandlers = GetStore;
}

/// The handlers of one store width by addressing form and value kind.
pub(crate) struct StoreHandlers {
    pub slot: ByMemory<isa::Instr<Store>>,
    /// `slot` for private memories, with its accumulator variants (the value, or the address, from the
    /// accumulator).
    pub slot_acc: AccInputs<Store, 3>,
    pub imm: ByMemory<isa::Instr<StoreImm>>,
    pub abs: ByMemory<isa::Instr<StoreAbs>>,
    /// Base plus scaled index (value in a slot / immediate), by shift (0..=3).
    pub ss: [ByMemory<isa::Instr<StoreSS>>; 4],
    /// `ss` for private memories, with the value, the base or the index from the accumulator.
    pub ss_acc: [AccInputs<StoreSS, 4>; 4],
    pub ss_imm: [ByMemory<isa::Instr<StoreSSImm>>; 4],
    pub si: ByMemory<isa::Instr<StoreSI>>,
    /// `si` for private memories, with the value or the base from the accumulator.
    pub si_acc: AccInputs<StoreSI, 3>,
    pub si_imm: ByMemory<isa::Instr<StoreSIImm>>,
    /// Two stores in a row, and a load's value stored (private memories only).
    pub pair: isa::Instr<StorePair>,
    /// (With the load's address in a slot or the accumulator.)
    pub load_store: AccInputs<LoadStore, 2>,
    /// A read-modify-write of one location (private memories), by operation (in [`UpdateOp`] order), then
    /// where its other operand is; with the address in a slot or the accumulator.
    ///
    /// [`UpdateOp`]: super::ops::UpdateOp
    pub rmw: [ByOperand<AccInputs<LoadOpStore, 2>>; 5],
}

fn rmw_handlers<Op: StoreOp + 'static, R: BinaryOp + 'static>() -> ByOperand<AccInputs<LoadOpStore, 2>> {
    ByOperand { imm: acc_inputs!(load_op_store::<Op, R, true>), slot: acc_inputs!(load_op_store::<Op, R, false>) }
}

pub(crate) struct GetStore;
impl StoreVisitor for GetStore {
    type Output = StoreHandlers;
    fn visit<Op: StoreOp + 'static>(self) -> StoreHandlers {
        StoreHandlers {
            slot: by_memory!(store::<Op, 0>),
            slot_acc: acc_inputs!(store::<Op, false>; 0, 1, 2),
            imm: by_memory!(store_imm::<Op>),
            abs: by_memory!(store_abs::<Op>),
            ss: [
                by_memory!(store_ss::<Op, 0, 0>),
                by_memory!(store_ss::<Op, 1, 0>),
                by_memory!(store_ss::<Op, 2, 0>),
                by_memory!(store_ss::<Op, 3, 0>),
            ],
            // The value (1), base (2) or index (3) from the accumulator.
            ss_acc: [
                acc_inputs!(store_ss::<Op, false, 0>; 0, 1, 2, 3),
                acc_inputs!(store_ss::<Op, false, 1>; 0, 1, 2, 3),
                acc_inputs!(store_ss::<Op, false, 2>; 0, 1, 2, 3),
                acc_inputs!(store_ss::<Op, false, 3>; 0, 1, 2, 3),
            ],
            ss_imm: [
                by_memory!(store_ss_imm::<Op, 0>),
                by_memory!(store_ss_imm::<Op, 1>),
                by_memory!(store_ss_imm::<Op, 2>),
                by_memory!(store_ss_imm::<Op, 3>),
            ],
            si: by_memory!(store_si::<Op, 0>),
            si_acc: acc_inputs!(store_si::<Op, false>; 0, 1, 2),
            si_imm: by_memory!(store_si_imm::<Op>),
            pair: store_pair::op::<Op>(),
            load_store: acc_inputs!(load_store::<Op>),
            rmw: [
                rmw_handlers::<Op, I64Add>(),
                rmw_handlers::<Op, I64Sub>(),
                rmw_handlers::<Op, I64And>(),
                rmw_handlers::<Op, I64Or>(),
                rmw_handlers::<Op, I64Xor>(),
            ],
        }
    }
}

/// The atomic handlers of one access width (1, 2, 4 or 8 bytes).
pub(crate) struct AtomicHandlers {
    pub load: isa::Instr<AtomicLoad>,
    pub store: isa::Instr<AtomicStore>,
    pub cmpxchg: isa::Instr<AtomicCmpxchg>,
}

macro_rules! by_width {
    ($width:expr, $f:ident) => {
        match $width {
            1 => $f!(1),
            2 => $f!(2),
            4 => $f!(4),
            _ => $f!(8),
        }
    };
}

pub(crate) fn atomics(width: usize) -> AtomicHandlers {
    macro_rules! of {
        ($n:literal) => {
            AtomicHandlers {
                load: atomic_load::op::<$n>(),
                store: atomic_store::op::<$n>(),
                cmpxchg: atomic_cmpxchg::op::<$n>(),
            }
        };
    }
    by_width!(width, of)
}

/// The read-modify-write handler of a width and operation.
pub(crate) fn rmw(width: usize, op: RmwOp) -> isa::Instr<AtomicRmw> {
    macro_rules! of {
        ($n:literal) => {
            match op {
                RmwOp::Add => isa::atomic_rmw::op::<$n, 0>(),
                RmwOp::Sub => isa::atomic_rmw::op::<$n, 1>(),
                RmwOp::And => isa::atomic_rmw::op::<$n, 2>(),
                RmwOp::Or => isa::atomic_rmw::op::<$n, 3>(),
                RmwOp::Xor => isa::atomic_rmw::op::<$n, 4>(),
                RmwOp::Xchg => isa::atomic_rmw::op::<$n, 5>(),
            }
        };
    }
    by_width!(width, of)
}

// ----- memories found by index (`exec/memory_any.rs`) -----

/// How an instruction reaches a memory other than a 32-bit memory 0: shared or private accesses, 64-bit
/// addresses, and whether it is memory 0 (a memory64 memory 0, in the handlers' registers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemKind {
    pub shared: bool,
    pub m64: bool,
    pub reg: bool,
}

/// `isa::$family::op::<PREFIX.., SHARED, M64, REG>()` for a [`MemKind`] known at run time. `REG` is only
/// ever set together with `M64` (a 32-bit memory 0 has the families of `exec/memory.rs`), so only six of
/// the eight instantiations exist.
macro_rules! by_kind {
    ($family:ident [$($pre:tt)*], $k:expr) => {{
        let k: MemKind = $k;
        match (k.shared, k.m64, k.reg) {
            (false, false, _) => isa::$family::op::<$($pre)* false, false, false>(),
            (false, true, false) => isa::$family::op::<$($pre)* false, true, false>(),
            (false, true, true) => isa::$family::op::<$($pre)* false, true, true>(),
            (true, false, _) => isa::$family::op::<$($pre)* true, false, false>(),
            (true, true, false) => isa::$family::op::<$($pre)* true, true, false>(),
            (true, true, true) => isa::$family::op::<$($pre)* true, true, true>(),
        }
    }};
}
pub(crate) use by_kind;

/// The load of a kind, for a memory reached by index.
pub(crate) struct GetLoadM(pub MemKind);
impl LoadVisitor for GetLoadM {
    type Output = isa::Instr<LoadM>;
    fn visit<Op: LoadOp + 'static>(self) -> isa::Instr<LoadM> {
        by_kind!(load_m [Op,], self.0)
    }
}

/// The store of a width, for a memory reached by index.
pub(crate) struct GetStoreM(pub MemKind);
impl StoreVisitor for GetStoreM {
    type Output = isa::Instr<StoreM>;
    fn visit<Op: StoreOp + 'static>(self) -> isa::Instr<StoreM> {
        by_kind!(store_m [Op,], self.0)
    }
}

/// The atomic handlers of one access width on a memory reached by index.
pub(crate) struct AtomicHandlersM {
    pub load: isa::Instr<AtomicM>,
    pub store: isa::Instr<AtomicM>,
    pub cmpxchg: isa::Instr<AtomicM>,
    pub wait: isa::Instr<AtomicM>,
}

/// `isa::$family::op::<PREFIX.., M64>()`.
macro_rules! by_m64 {
    ($family:ident [$($pre:tt)*], $m64:expr) => {
        if $m64 { isa::$family::op::<$($pre)* true>() } else { isa::$family::op::<$($pre)* false>() }
    };
}
pub(crate) use by_m64;

pub(crate) fn atomics_m(width: usize, m64: bool) -> AtomicHandlersM {
    macro_rules! of {
        ($n:literal) => {
            AtomicHandlersM {
                load: by_m64!(atomic_load_m [$n,], m64),
                store: by_m64!(atomic_store_m [$n,], m64),
                cmpxchg: by_m64!(atomic_cmpxchg_m [$n,], m64),
                wait: by_m64!(atomic_wait_m [$n,], m64),
            }
        };
    }
    by_width!(width, of)
}

/// The read-modify-write handler of a width and operation on a memory reached by index.
pub(crate) fn rmw_m(width: usize, op: RmwOp, m64: bool) -> isa::Instr<AtomicM> {
    macro_rules! of {
        ($n:literal) => {
            match op {
                RmwOp::Add => by_m64!(atomic_rmw_m [$n, 0,], m64),
                RmwOp::Sub => by_m64!(atomic_rmw_m [$n, 1,], m64),
                RmwOp::And => by_m64!(atomic_rmw_m [$n, 2,], m64),
                RmwOp::Or => by_m64!(atomic_rmw_m [$n, 3,], m64),
                RmwOp::Xor => by_m64!(atomic_rmw_m [$n, 4,], m64),
                RmwOp::Xchg => by_m64!(atomic_rmw_m [$n, 5,], m64),
            }
        };
    }
    by_width!(width, of)
}
