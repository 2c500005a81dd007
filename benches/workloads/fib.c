/* fib.c — recursive Fibonacci. Stresses: direct calls/returns, small frames, i32 ALU.
 * run(n) = fib(n) mod 2^32 (clang may turn one of the two calls into a loop; the other stays). */
#include <stdint.h>

__attribute__((noinline)) static uint32_t fib(uint32_t n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((export_name("run"))) uint32_t run(uint32_t n) { return fib(n); }
