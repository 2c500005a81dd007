/* tailcall.c — a threaded-code interpreter in the style of wasm3 and other "musttail" interpreters: each
 * opcode handler ends by tail-calling the next one through the handler table (`return_call_indirect`),
 * and a tail-recursive state machine calls itself (`return_call`). Stresses: tail calls (without them the
 * interpreter would need one frame per executed bytecode instruction). Built with -mtail-call.
 * run(n) = a checksum of n rounds of a small bytecode loop, mixed with the Collatz step counts of 1..n/4. */
#include <stdint.h>

typedef struct State State;
typedef uint32_t (*Op)(const uint8_t *ip, State *s, uint32_t acc, uint32_t n);
struct State {
    const uint8_t *start;
    uint32_t r0, r1;
};

enum { HALT, MIX, SHIFT_XOR, INC, ROT, SWAP, LOOP };

static uint32_t op_halt(const uint8_t *ip, State *s, uint32_t acc, uint32_t n);
static uint32_t op_mix(const uint8_t *ip, State *s, uint32_t acc, uint32_t n);
static uint32_t op_shift_xor(const uint8_t *ip, State *s, uint32_t acc, uint32_t n);
static uint32_t op_inc(const uint8_t *ip, State *s, uint32_t acc, uint32_t n);
static uint32_t op_rot(const uint8_t *ip, State *s, uint32_t acc, uint32_t n);
static uint32_t op_swap(const uint8_t *ip, State *s, uint32_t acc, uint32_t n);
static uint32_t op_loop(const uint8_t *ip, State *s, uint32_t acc, uint32_t n);

static Op const ops[] = {op_halt, op_mix, op_shift_xor, op_inc, op_rot, op_swap, op_loop};

#define NEXT(ip) __attribute__((musttail)) return ops[*(ip)]((ip), s, acc, n)

static uint32_t op_halt(const uint8_t *ip, State *s, uint32_t acc, uint32_t n) {
    (void)ip; (void)n;
    return acc ^ s->r0 ^ s->r1;
}
static uint32_t op_mix(const uint8_t *ip, State *s, uint32_t acc, uint32_t n) {
    acc = acc * 31u + s->r0;
    NEXT(ip + 1);
}
static uint32_t op_shift_xor(const uint8_t *ip, State *s, uint32_t acc, uint32_t n) {
    acc ^= acc >> ip[1];
    NEXT(ip + 2);
}
static uint32_t op_inc(const uint8_t *ip, State *s, uint32_t acc, uint32_t n) {
    s->r0 += ip[1];
    NEXT(ip + 2);
}
static uint32_t op_rot(const uint8_t *ip, State *s, uint32_t acc, uint32_t n) {
    acc = (acc << 5) | (acc >> 27);
    NEXT(ip + 1);
}
static uint32_t op_swap(const uint8_t *ip, State *s, uint32_t acc, uint32_t n) {
    uint32_t t = s->r1;
    s->r1 = acc;
    acc = t + s->r0;
    NEXT(ip + 1);
}
static uint32_t op_loop(const uint8_t *ip, State *s, uint32_t acc, uint32_t n) {
    if (--n) {
        ip = s->start;
        NEXT(ip);
    }
    NEXT(ip + 1);
}

static const uint8_t program[] = {
    INC, 3, MIX, SHIFT_XOR, 13, ROT, MIX, SWAP, INC, 1, SHIFT_XOR, 7, MIX, LOOP, HALT,
};

/* Steps of the Collatz sequence from x to 1, counted by two functions that tail-call each other (an even
 * and an odd step; LLVM would turn direct self-recursion into a loop). */
__attribute__((noinline)) static uint32_t collatz_odd(uint32_t x, uint32_t steps);
__attribute__((noinline)) static uint32_t collatz_even(uint32_t x, uint32_t steps) {
    while (!(x & 1)) {
        x /= 2;
        steps++;
    }
    __attribute__((musttail)) return collatz_odd(x, steps);
}
__attribute__((noinline)) static uint32_t collatz_odd(uint32_t x, uint32_t steps) {
    if (x <= 1) return steps;
    __attribute__((musttail)) return collatz_even(3 * x + 1, steps + 1);
}

__attribute__((export_name("run"))) uint32_t run(uint32_t n) {
    State s = {program, 0, 0};
    uint32_t acc = ops[program[0]](program, &s, 0x9e3779b9u, n ? n : 1);
    for (uint32_t x = 1; x <= n / 4; x++) acc = acc * 33u + collatz_even(x, 0);
    return acc;
}
