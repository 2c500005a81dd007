//! Constant expressions: global initialisers, segment offsets and element items, evaluated at instantiation.

use wasmparser::{ConstExpr as WpConstExpr, Operator};

use crate::error::TrapCode;
use crate::gc::Init;

/// One instruction of a constant expression (Wasm 2.0 plus extended-const arithmetic and GC allocation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ConstOp {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    RefNull,
    RefFunc(u32),
    GlobalGet(u32),
    I32Add,
    I32Sub,
    I32Mul,
    I64Add,
    I64Sub,
    I64Mul,
    /// `ref.i31`.
    RefI31,
    /// A struct of type index `.0` from the top `.1` values (`struct.new`), or of `.1` zeros
    /// (`struct.new_default`, `.2` set).
    StructNew(u32, u32, bool),
    /// An array of type index `.0`: `array.new` (init and length on the stack), `array.new_default` (the
    /// length), or `array.new_fixed` of `.1` values (`Some`).
    ArrayNew(u32, ArrayInit),
}

/// How a constant `array.new*` gets its elements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ArrayInit {
    /// `array.new`: a value and a length.
    Repeat,
    /// `array.new_default`: a length.
    Default,
    /// `array.new_fixed`: this many values.
    Fixed(u32),
}

/// Makes a GC object of a type index from its field or element values.
pub(crate) type NewObject<'a> = &'a mut dyn FnMut(u32, Init<'_>) -> Result<u64, TrapCode>;

/// For constant expressions that cannot make GC objects (offsets; validated to be integer expressions).
pub(crate) fn no_objects(_: u32, _: Init<'_>) -> Result<u64, TrapCode> {
    Err(TrapCode::AllocationTooLarge)
}

/// A constant expression, evaluated by a tiny stack machine.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConstExpr {
    ops: Box<[ConstOp]>,
}

impl ConstExpr {
    pub(crate) fn from_ops(ops: Vec<ConstOp>) -> Self {
        Self { ops: ops.into() }
    }

    /// The expression; `fields` gives the number of fields of a struct type index.
    pub(crate) fn parse(expr: &WpConstExpr<'_>, fields: &dyn Fn(u32) -> u32) -> Result<Self, String> {
        let mut ops = Vec::new();
        let mut reader = expr.get_operators_reader();
        while !reader.eof() {
            let op = reader.read().map_err(|e| e.message().to_string())?;
            ops.push(match op {
                Operator::I32Const { value } => ConstOp::I32(value),
                Operator::I64Const { value } => ConstOp::I64(value),
                Operator::F32Const { value } => ConstOp::F32(value.bits()),
                Operator::F64Const { value } => ConstOp::F64(value.bits()),
                Operator::V128Const { value } => ConstOp::V128(value.i128() as u128),
                Operator::RefNull { .. } => ConstOp::RefNull,
                Operator::RefFunc { function_index } => ConstOp::RefFunc(function_index),
                Operator::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
                Operator::I32Add => ConstOp::I32Add,
                Operator::I32Sub => ConstOp::I32Sub,
                Operator::I32Mul => ConstOp::I32Mul,
                Operator::I64Add => ConstOp::I64Add,
                Operator::I64Sub => ConstOp::I64Sub,
                Operator::I64Mul => ConstOp::I64Mul,
                Operator::RefI31 => ConstOp::RefI31,
                Operator::StructNew { struct_type_index: t } => ConstOp::StructNew(t, fields(t), false),
                Operator::StructNewDefault { struct_type_index: t } => ConstOp::StructNew(t, fields(t), true),
                Operator::ArrayNew { array_type_index: t } => ConstOp::ArrayNew(t, ArrayInit::Repeat),
                Operator::ArrayNewDefault { array_type_index: t } => ConstOp::ArrayNew(t, ArrayInit::Default),
                Operator::ArrayNewFixed { array_type_index: t, array_size } => {
                    ConstOp::ArrayNew(t, ArrayInit::Fixed(array_size))
                }
                // The slot value stays the same (see `gc`).
                Operator::AnyConvertExtern | Operator::ExternConvertAny => continue,
                Operator::End => break,
                other => {
                    return Err(format!("unsupported constant expression operator {other:?}"));
                }
            });
        }
        Ok(Self { ops: ops.into() })
    }

    /// Evaluate to a raw slot value (both slots of a `v128`, low first). `global` reads a global's raw
    /// value, `func_ref` makes a funcref, `new` a GC object. Only making an object can fail.
    pub(crate) fn eval(
        &self,
        global: impl Fn(u32) -> u128,
        func_ref: impl Fn(u32) -> u64,
        new: NewObject<'_>,
    ) -> Result<u128, TrapCode> {
        let mut stack: smallvec::SmallVec<[u128; 4]> = smallvec::SmallVec::new();
        let pop = |stack: &mut smallvec::SmallVec<[u128; 4]>| stack.pop().unwrap_or(0);
        for op in self.ops.iter() {
            let v = match *op {
                ConstOp::I32(v) => v as u32 as u128,
                ConstOp::I64(v) => v as u64 as u128,
                ConstOp::F32(v) => v as u128,
                ConstOp::F64(v) => v as u128,
                ConstOp::V128(v) => v,
                ConstOp::RefNull => 0,
                ConstOp::RefFunc(f) => func_ref(f) as u128,
                ConstOp::GlobalGet(g) => global(g),
                ConstOp::RefI31 => (crate::gc::I31_TAG | (pop(&mut stack) as u64 & 0x7fff_ffff)) as u128,
                ConstOp::StructNew(t, n, default) => {
                    let values = if default {
                        vec![0; n as usize]
                    } else {
                        let at = stack.len().saturating_sub(n as usize);
                        stack.drain(at..).collect()
                    };
                    new(t, Init::Values(&values))? as u128
                }
                ConstOp::ArrayNew(t, ArrayInit::Fixed(n)) => {
                    let at = stack.len().saturating_sub(n as usize);
                    let values: Vec<u128> = stack.drain(at..).collect();
                    new(t, Init::Values(&values))? as u128
                }
                ConstOp::ArrayNew(t, init) => {
                    let len = pop(&mut stack) as u32 as u64;
                    let value = if init == ArrayInit::Repeat { pop(&mut stack) } else { 0 };
                    new(t, Init::Repeat { value, len })? as u128
                }
                bin => {
                    let b = pop(&mut stack) as u64;
                    let a = pop(&mut stack) as u64;
                    (match bin {
                        ConstOp::I32Add => (a as u32).wrapping_add(b as u32) as u64,
                        ConstOp::I32Sub => (a as u32).wrapping_sub(b as u32) as u64,
                        ConstOp::I32Mul => (a as u32).wrapping_mul(b as u32) as u64,
                        ConstOp::I64Add => a.wrapping_add(b),
                        ConstOp::I64Sub => a.wrapping_sub(b),
                        _ => a.wrapping_mul(b),
                    }) as u128
                }
            };
            stack.push(v);
        }
        Ok(stack.pop().unwrap_or(0))
    }

    /// The instructions, in order (without the final `end`).
    pub(crate) fn ops(&self) -> &[ConstOp] {
        &self.ops
    }
}
