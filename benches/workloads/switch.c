/* switch.c — a tiny stack-machine bytecode interpreter: a `switch` dispatch loop over 36
 * dense opcodes (compiled to br_table). Stresses: br_table, i32 loads from the code array,
 * a small in-memory operand stack, unpredictable branches.
 * The bytecode program loops i = n..1 and folds a hash of i and its Collatz step count
 * (capped at 64) into an accumulator; run(n) returns the accumulator. */
#include <stdint.h>

enum {
    HALT, PUSH, LOAD, STORE, DUP, DROP, SWAP, OVER,
    ADD, SUB, MUL, DIVU, REMU, AND, OR, XOR,
    SHL, SHRU, ROTL, NOT, NEG, INC, DEC, EQZ,
    EQ, NE, LTU, GTU, LEU, GEU, MIN, MAX,
    JMP, JZ, JNZ, NOP,
};

static uint32_t exec(const int32_t *code, uint32_t *locals) {
    uint32_t stack[64];
    int sp = 0;
    const int32_t *pc = code;
    for (;;) {
        uint32_t a, b;
        switch (*pc++) {
        case HALT: return sp ? stack[sp - 1] : 0;
        case PUSH: stack[sp++] = (uint32_t)*pc++; break;
        case LOAD: stack[sp++] = locals[*pc++]; break;
        case STORE: locals[*pc++] = stack[--sp]; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case DROP: sp--; break;
        case SWAP: a = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = a; break;
        case OVER: stack[sp] = stack[sp - 2]; sp++; break;
#define BIN(op, expr) case op: b = stack[--sp]; a = stack[sp - 1]; stack[sp - 1] = (expr); break;
        BIN(ADD, a + b)
        BIN(SUB, a - b)
        BIN(MUL, a * b)
        BIN(DIVU, b ? a / b : 0)
        BIN(REMU, b ? a % b : 0)
        BIN(AND, a & b)
        BIN(OR, a | b)
        BIN(XOR, a ^ b)
        BIN(SHL, a << (b & 31))
        BIN(SHRU, a >> (b & 31))
        BIN(ROTL, (a << (b & 31)) | (a >> ((32 - b) & 31)))
        BIN(EQ, a == b)
        BIN(NE, a != b)
        BIN(LTU, a < b)
        BIN(GTU, a > b)
        BIN(LEU, a <= b)
        BIN(GEU, a >= b)
        BIN(MIN, a < b ? a : b)
        BIN(MAX, a > b ? a : b)
#undef BIN
        case NOT: stack[sp - 1] = ~stack[sp - 1]; break;
        case NEG: stack[sp - 1] = -stack[sp - 1]; break;
        case INC: stack[sp - 1]++; break;
        case DEC: stack[sp - 1]--; break;
        case EQZ: stack[sp - 1] = stack[sp - 1] == 0; break;
        case JMP: pc = code + *pc; break;
        case JZ: pc = stack[--sp] ? pc + 1 : code + *pc; break;
        case JNZ: pc = stack[--sp] ? code + *pc : pc + 1; break;
        case NOP: break;
        default: return 0xdeadbeef;
        }
    }
}

/* The program, assembled at run time with jump targets resolved by name.
 * locals: 0 = i (loop counter), 1 = acc, 2 = x (Collatz value), 3 = steps */
static int32_t code[256];

static void assemble(void) {
    int n = 0;
#define E(...) do { int32_t t_[] = {__VA_ARGS__}; for (unsigned k_ = 0; k_ < sizeof t_ / sizeof t_[0]; k_++) code[n++] = t_[k_]; } while (0)
    int top, inner, odd_end, even, after_inner, body_end, fix_exit, fix_inner_exit, fix_even, fix_join;
    top = n;        E(LOAD, 0, EQZ, JNZ, 0); fix_exit = n - 1;
                    E(LOAD, 0, STORE, 2, PUSH, 0, STORE, 3);
    inner = n;      E(LOAD, 2, PUSH, 1, LEU, LOAD, 3, PUSH, 64, GEU, OR, JNZ, 0); fix_inner_exit = n - 1;
                    E(LOAD, 2, PUSH, 1, AND, JZ, 0); fix_even = n - 1;
                    E(LOAD, 2, DUP, DUP, ADD, ADD, INC, JMP, 0); fix_join = n - 1;
    even = n;       E(LOAD, 2, PUSH, 1, SHRU);
    odd_end = n;    E(STORE, 2, LOAD, 3, INC, STORE, 3, JMP, inner);
    after_inner = n;
    /* acc = rotl(acc, 5) ^ (i * 0x9e3779b9) + steps * 0x85ebca6b; acc = max(acc, acc - i) */
                    E(LOAD, 1, PUSH, 5, ROTL, LOAD, 0, PUSH, (int32_t)0x9e3779b9, MUL, XOR);
                    E(LOAD, 3, PUSH, (int32_t)0x85ebca6b, MUL, ADD);
                    E(DUP, LOAD, 0, SUB, MAX, STORE, 1);
    /* exercise the remaining opcodes: acc ^= ((i % 7) | (i / 3 & 0xff) << 8) ... */
                    E(LOAD, 0, PUSH, 7, REMU, LOAD, 0, PUSH, 3, DIVU, PUSH, 255, AND, PUSH, 8, SHL, OR);
                    E(LOAD, 0, NOT, NEG, PUSH, 1, SUB, OVER, SWAP, DROP, LOAD, 0, EQ, ADD);
                    E(LOAD, 0, PUSH, 10, LTU, ADD, LOAD, 0, PUSH, 10, GTU, ADD, LOAD, 0, PUSH, 3, NE, ADD);
                    E(LOAD, 0, PUSH, 9, MIN, ADD, NOP, LOAD, 1, XOR, STORE, 1);
                    E(LOAD, 0, DEC, STORE, 0, JMP, top);
    body_end = n;   E(LOAD, 1, HALT);
    code[fix_exit] = body_end;
    code[fix_inner_exit] = after_inner;
    code[fix_even] = even;
    code[fix_join] = odd_end;
#undef E
}

__attribute__((export_name("run"))) uint32_t run(uint32_t n) {
    assemble();
    uint32_t locals[4] = {n, 0x811c9dc5, 0, 0};
    return exec(code, locals);
}
