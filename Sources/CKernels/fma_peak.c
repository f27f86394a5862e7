#include "churn_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

churn_isa churn_detect_isa(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return CHURN_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CHURN_ISA_AVX2;
    return CHURN_ISA_PORTABLE;
}

// 16 independent chains: enough to cover the multiply-add latency on two pipes. The empty asm
// statements make each step's result opaque, so the compiler can neither fold the loop nor drop it.
#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)

__attribute__((target("avx512f")))
static double fma_loop_avx512(long iterations, float *sink) {
    const __m512 b = _mm512_set1_ps(0.99999994f), c = _mm512_set1_ps(1e-7f);
#define DECLARE(i) __m512 a##i = _mm512_set1_ps(1.0f + (float)(i) * 1e-3f);
    CHAINS(DECLARE)
    for (long n = 0; n < iterations; n++) {
#define STEP(i) a##i = _mm512_fmadd_ps(a##i, b, c); __asm__ volatile("" : "+v"(a##i));
        CHAINS(STEP)
    }
    __m512 s = _mm512_setzero_ps();
#define SUM(i) s = _mm512_add_ps(s, a##i);
    CHAINS(SUM)
    *sink = _mm512_reduce_add_ps(s);
    return (double)iterations * 16 * 16 * 2;
#undef DECLARE
#undef STEP
#undef SUM
}

// 12 chains on AVX2: with the two constants they fill 14 of the 16 registers.
#define CHAINS12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

__attribute__((target("avx2,fma")))
static double fma_loop_avx2(long iterations, float *sink) {
    const __m256 b = _mm256_set1_ps(0.99999994f), c = _mm256_set1_ps(1e-7f);
#define DECLARE(i) __m256 a##i = _mm256_set1_ps(1.0f + (float)(i) * 1e-3f);
    CHAINS12(DECLARE)
    for (long n = 0; n < iterations; n++) {
#define STEP(i) a##i = _mm256_fmadd_ps(a##i, b, c); __asm__ volatile("" : "+x"(a##i));
        CHAINS12(STEP)
    }
    __m256 s = _mm256_setzero_ps();
#define SUM(i) s = _mm256_add_ps(s, a##i);
    CHAINS12(SUM)
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    float total = 0;
    for (int k = 0; k < 8; k++) total += lanes[k];
    *sink = total;
    return (double)iterations * 12 * 8 * 2;
#undef DECLARE
#undef STEP
#undef SUM
}
#else
churn_isa churn_detect_isa(void) { return CHURN_ISA_PORTABLE; }
#endif

// The baseline x86-64 (SSE2, no FMA) and every other CPU: scalar multiply and add, 8 chains.
static double fma_loop_portable(long iterations, float *sink) {
    volatile float seed = 1.0f;
    float a[8];
    for (int k = 0; k < 8; k++) a[k] = seed + (float)k * 1e-3f;
    const float b = 0.99999994f, c = 1e-7f;
    for (long n = 0; n < iterations; n++) {
        for (int k = 0; k < 8; k++) { a[k] = a[k] * b + c; __asm__ volatile("" : "+x"(a[k])); }
    }
    float total = 0;
    for (int k = 0; k < 8; k++) total += a[k];
    *sink = total;
    return (double)iterations * 8 * 2;
}

double churn_fma_loop(churn_isa isa, long iterations, float *sink) {
    switch (isa) {
#if defined(__x86_64__)
    case CHURN_ISA_AVX512: return fma_loop_avx512(iterations, sink);
    case CHURN_ISA_AVX2: return fma_loop_avx2(iterations, sink);
#endif
    default: return fma_loop_portable(iterations, sink);
    }
}
