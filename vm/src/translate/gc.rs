//! Translation of GC instructions: structs, arrays, `i31`s and casts (executed by `exec/gc.rs`).
//!
//! `ref.eq` is an integer compare of slot values and `any.convert_extern`/`extern.convert_any` emit
//! nothing (see `gc`'s slot encoding); both are in `ops.rs`. Everything else is one instruction, which
//! names the module's type index so the handler finds the type's layout in the running module. A field's
//! or element's storage picks the handler's access (`gc::Access`); a struct field is named by its first
//! cell. Operands that must be consecutive (`struct.new`'s fields, `array.new_fixed`'s elements) are
//! materialised like call arguments.

use wasmparser::{HeapType as WpHeapType, Operator, RefType};

use super::Translator;
use crate::error::Result;
use crate::gc::{Access, Storage, TypeDef, cast};
use crate::ir::isa::{self, *};

/// Emit family `$family` instantiated with `$access` (a `gc::Access` code) for its const parameter `A`.
macro_rules! emit_with_access {
    ($t:ident, $family:ident, $access:expr, $p:expr) => {
        match $access {
            Access::I8_S => $t.emit(isa::$family::op::<{ Access::I8_S }>(), $p),
            Access::I8_U => $t.emit(isa::$family::op::<{ Access::I8_U }>(), $p),
            Access::I16_S => $t.emit(isa::$family::op::<{ Access::I16_S }>(), $p),
            Access::I16_U => $t.emit(isa::$family::op::<{ Access::I16_U }>(), $p),
            Access::V128 => $t.emit(isa::$family::op::<{ Access::V128 }>(), $p),
            Access::I32 => $t.emit(isa::$family::op::<{ Access::I32 }>(), $p),
            _ => $t.emit(isa::$family::op::<{ Access::CELL }>(), $p),
        }
    };
}

impl Translator<'_> {
    /// Translate `op` if it is a GC instruction (other than those `ops.rs` handles).
    pub(super) fn gc(&mut self, op: &Operator<'_>) -> Result<bool> {
        match *op {
            Operator::StructNew { struct_type_index: ty } => {
                let n = self.struct_fields(ty).len() as u32;
                self.gc_new(isa::struct_new::op::<false>(), ty, n);
            }
            Operator::StructNewDefault { struct_type_index: ty } => self.gc_new(isa::struct_new::op::<true>(), ty, 0),
            Operator::ArrayNewFixed { array_type_index: ty, array_size } => {
                self.gc_new(isa::array_new_fixed::op(), ty, array_size)
            }
            Operator::StructGet { struct_type_index: ty, field_index } => self.struct_get(ty, field_index, None),
            Operator::StructGetS { struct_type_index: ty, field_index } => self.struct_get(ty, field_index, Some(true)),
            Operator::StructGetU { struct_type_index: ty, field_index } => {
                self.struct_get(ty, field_index, Some(false))
            }
            Operator::StructSet { struct_type_index: ty, field_index } => {
                let f = self.struct_fields(ty)[field_index as usize];
                let [obj, value] = self.pop_slots::<2>();
                let p = StructSet { obj, cell: f.cell, value };
                emit_with_access!(self, struct_set, f.storage.access(None), p);
            }
            Operator::ArrayNew { array_type_index: ty } => {
                let [init, len] = self.pop_slots::<2>();
                let dst = self.push_temp();
                self.emit(isa::array_new::op::<false>(), ArrayNew { dst, ty, init, len });
            }
            Operator::ArrayNewDefault { array_type_index: ty } => {
                let [len] = self.pop_slots::<1>();
                let dst = self.push_temp();
                self.emit(isa::array_new::op::<true>(), ArrayNew { dst, ty, init: len, len });
            }
            Operator::ArrayNewData { array_type_index: ty, array_data_index: segment } => {
                let [offset, len] = self.pop_slots::<2>();
                let dst = self.push_temp();
                self.emit(isa::array_new_data::op(), ArrayNewSeg { dst, ty, segment, offset, len });
            }
            Operator::ArrayNewElem { array_type_index: ty, array_elem_index: segment } => {
                let [offset, len] = self.pop_slots::<2>();
                let dst = self.push_temp();
                self.emit(isa::array_new_elem::op(), ArrayNewSeg { dst, ty, segment, offset, len });
            }
            Operator::ArrayGet { array_type_index: ty } => self.array_get(ty, None),
            Operator::ArrayGetS { array_type_index: ty } => self.array_get(ty, Some(true)),
            Operator::ArrayGetU { array_type_index: ty } => self.array_get(ty, Some(false)),
            Operator::ArraySet { array_type_index: ty } => {
                let [arr, index, value] = self.pop_slots::<3>();
                let p = ArraySet { arr, index, value };
                emit_with_access!(self, array_set, self.element(ty).element_access(None), p);
            }
            Operator::ArrayLen => {
                let [src] = self.pop_slots::<1>();
                let dst = self.push_temp();
                self.emit(isa::array_len::op(), Un { dst, src });
            }
            Operator::ArrayFill { array_type_index: ty } => {
                let [arr, index, value, len] = self.pop_slots::<4>();
                let p = ArrayFill { arr, index, value, len };
                emit_with_access!(self, array_fill, self.element(ty).element_access(None), p);
            }
            Operator::ArrayCopy { .. } => {
                let [dst, dst_index, src, src_index, len] = self.pop_slots::<5>();
                self.emit(isa::array_copy::op(), ArrayCopy { dst, dst_index, src, src_index, len });
            }
            Operator::ArrayInitData { array_type_index: ty, array_data_index: segment } => {
                let [arr, dst, src, len] = self.pop_slots::<4>();
                self.emit(isa::array_init_data::op(), ArrayInit { ty, segment, arr, dst, src, len });
            }
            Operator::ArrayInitElem { array_type_index: ty, array_elem_index: segment } => {
                let [arr, dst, src, len] = self.pop_slots::<4>();
                self.emit(isa::array_init_elem::op(), ArrayInit { ty, segment, arr, dst, src, len });
            }
            Operator::RefI31 => {
                let [src] = self.pop_slots::<1>();
                let dst = self.push_temp();
                self.emit(isa::ref_i31::op(), Un { dst, src });
            }
            Operator::I31GetS | Operator::I31GetU => {
                let [src] = self.pop_slots::<1>();
                let dst = self.push_temp();
                if matches!(op, Operator::I31GetS) {
                    self.emit(isa::i31_get::op::<true>(), Un { dst, src });
                } else {
                    self.emit(isa::i31_get::op::<false>(), Un { dst, src });
                }
            }
            Operator::RefTestNonNull { hty } => self.ref_test(hty, false, false),
            Operator::RefTestNullable { hty } => self.ref_test(hty, true, false),
            Operator::RefCastNonNull { hty } => self.ref_test(hty, false, true),
            Operator::RefCastNullable { hty } => self.ref_test(hty, true, true),
            Operator::BrOnCast { relative_depth, to_ref_type, .. } => {
                self.br_on_cast(relative_depth, to_ref_type, true)
            }
            Operator::BrOnCastFail { relative_depth, to_ref_type, .. } => {
                self.br_on_cast(relative_depth, to_ref_type, false)
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The type `ty` of the module (validated: an index of the type section).
    fn type_def(&self, ty: u32) -> &TypeDef {
        &self.m.type_defs[ty as usize]
    }

    /// A struct type's fields (validated: `ty` is a struct type).
    fn struct_fields(&self, ty: u32) -> &[crate::gc::Field] {
        self.type_def(ty).fields()
    }

    /// An array type's element storage (validated: `ty` is an array type).
    fn element(&self, ty: u32) -> Storage {
        self.type_def(ty).element()
    }

    /// `struct.new`, `struct.new_default` or `array.new_fixed`: the top `n` operands, in consecutive slots.
    fn gc_new(&mut self, h: isa::Instr<GcNew>, ty: u32, n: u32) {
        self.materialize_top(n);
        let args = self.temp_slot(self.height() - n);
        self.stack.truncate((self.height() - n) as usize);
        let dst = self.push_temp();
        self.emit(h, GcNew { dst, ty, args, n });
    }

    fn struct_get(&mut self, ty: u32, field: u32, signed: Option<bool>) {
        let f = self.struct_fields(ty)[field as usize];
        let [obj] = self.pop_slots::<1>();
        let dst = if f.storage == Storage::V128 { self.push_temp_wide() } else { self.push_temp() };
        let p = StructGet { dst, obj, cell: f.cell };
        emit_with_access!(self, struct_get, f.storage.access(signed), p);
    }

    fn array_get(&mut self, ty: u32, signed: Option<bool>) {
        let storage = self.element(ty);
        let [arr, index] = self.pop_slots::<2>();
        let dst = if storage == Storage::V128 { self.push_temp_wide() } else { self.push_temp() };
        let p = ArrayGet { dst, arr, index };
        emit_with_access!(self, array_get, storage.element_access(signed), p);
    }

    /// The operand naming heap type `hty` as a cast's target (`gc::cast`).
    fn cast_target(hty: WpHeapType) -> u32 {
        use wasmparser::AbstractHeapType as A;
        match hty {
            WpHeapType::Concrete(i) | WpHeapType::Exact(i) => cast::CONCRETE + i.as_module_index().unwrap_or(0),
            WpHeapType::Abstract { ty, .. } => match ty {
                A::Func => cast::FUNC,
                A::NoFunc => cast::NOFUNC,
                A::Extern => cast::EXTERN,
                A::NoExtern => cast::NOEXTERN,
                A::Exn => cast::EXN,
                A::NoExn => cast::NOEXN,
                A::Eq => cast::EQ,
                A::I31 => cast::I31,
                A::Struct => cast::STRUCT,
                A::Array => cast::ARRAY,
                A::None => cast::NONE,
                // `any`, and types of proposals the validator refuses (continuations).
                _ => cast::ANY,
            },
        }
    }

    /// `ref.test` (an i32 result) or `ref.cast` (the reference, or a trap).
    fn ref_test(&mut self, hty: WpHeapType, nullable: bool, cast: bool) {
        let [src] = self.pop_slots::<1>();
        let dst = self.push_temp();
        let p = RefTest { dst, src, target: Self::cast_target(hty) };
        match (nullable, cast) {
            (false, false) => self.emit(isa::ref_test::op::<false, false>(), p),
            (true, false) => self.emit(isa::ref_test::op::<true, false>(), p),
            (false, true) => self.emit(isa::ref_test::op::<false, true>(), p),
            (true, true) => self.emit(isa::ref_test::op::<true, true>(), p),
        };
    }

    /// `br_on_cast` (`on_success`) or `br_on_cast_fail`: the reference stays on the stack; its test goes
    /// to the slot above it, and the branch is `br_on_non_null`'s on that slot.
    fn br_on_cast(&mut self, depth: u32, to: RefType, on_success: bool) {
        let reference = self.top_ref_slot();
        let test = self.next_slot();
        self.need_slots(test + 1);
        let p = RefTest { dst: test, src: reference, target: Self::cast_target(to.heap_type()) };
        if to.is_nullable() {
            self.emit(isa::ref_test::op::<true, false>(), p);
        } else {
            self.emit(isa::ref_test::op::<false, false>(), p);
        }
        // Branch when the test is 1 (`br_on_cast`) or 0 (`br_on_cast_fail`).
        self.branch_on_null(test, !on_success, depth);
    }
}
