// c = aᵀ·b over a long k: the weight gradients of the LSTM, dgatesᵀ · [h | x | 1] summed over
// every packed row. One variant per instruction set; every variant computes each output as the
// same chain of fused multiply-adds over k in order from zero, so the paths agree to the last
// bit, and so do splits of the output rows across threads.
#include "churn_kernels.h"
#include <math.h>

// Rows of k per cache block: a block of a and b stays in L2 while every tile passes over it;
// the tiles' partial sums wait in c between blocks (the chain of each output is unchanged).
enum { K_BLOCK = 128 };

static inline int min_int(int a, int b) { return a < b ? a : b; }

#if defined(__x86_64__)
#include "vector_lanes.h"


// Four output rows by sixteen output columns: eight accumulators; per k two loads of b's row
// and four broadcasts of a's.
__attribute__((target("avx2,fma")))
static void gemm_tn_avx2(const churn_gemm_tn_args *g) {
    const int m = g->m, n = g->n;
    for (int k0 = 0; k0 < g->k; k0 += K_BLOCK) {
        const int k1 = min_int(g->k, k0 + K_BLOCK);
        for (int j = 0; j < n; j += 16) {
            const int width = min_int(16, n - j), lo = min_int(8, width), hi = width - 8;
            for (int i = 0; i < m; i += 4) {
                const int rows = min_int(4, m - i);
                // Tail rows read row i again; their sums are discarded.
                const int i1 = rows > 1 ? i + 1 : i, i2 = rows > 2 ? i + 2 : i, i3 = rows > 3 ? i + 3 : i;
                float *c0 = g->c + (long)i * g->ldc + j, *c1 = g->c + (long)i1 * g->ldc + j;
                float *c2 = g->c + (long)i2 * g->ldc + j, *c3 = g->c + (long)i3 * g->ldc + j;
                __m256 s00, s01, s10, s11, s20, s21, s30, s31;
                if (k0 == 0) {
                    s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = _mm256_setzero_ps();
                } else {
                    s00 = load8(c0, lo); s01 = load8(c0 + 8, hi); s10 = load8(c1, lo); s11 = load8(c1 + 8, hi);
                    s20 = load8(c2, lo); s21 = load8(c2 + 8, hi); s30 = load8(c3, lo); s31 = load8(c3 + 8, hi);
                }
                const float *a = g->a + (long)k0 * g->lda, *b = g->b + (long)k0 * g->ldb + j;
#define STEP(LOAD0, LOAD1) for (int kk = k0; kk < k1; kk++, a += g->lda, b += g->ldb) { \
                    const __m256 b0 = LOAD0, b1 = LOAD1; \
                    __m256 x = _mm256_broadcast_ss(a + i); \
                    s00 = _mm256_fmadd_ps(x, b0, s00); s01 = _mm256_fmadd_ps(x, b1, s01); \
                    x = _mm256_broadcast_ss(a + i1); \
                    s10 = _mm256_fmadd_ps(x, b0, s10); s11 = _mm256_fmadd_ps(x, b1, s11); \
                    x = _mm256_broadcast_ss(a + i2); \
                    s20 = _mm256_fmadd_ps(x, b0, s20); s21 = _mm256_fmadd_ps(x, b1, s21); \
                    x = _mm256_broadcast_ss(a + i3); \
                    s30 = _mm256_fmadd_ps(x, b0, s30); s31 = _mm256_fmadd_ps(x, b1, s31); }
                // Whole tiles load without masks: the loop stays in registers.
                if (width == 16) STEP(_mm256_loadu_ps(b), _mm256_loadu_ps(b + 8))
                else STEP(load8(b, lo), load8(b + 8, hi))
#undef STEP
                // A tail's repeated rows are not stored.
                if (rows > 3) { store8(c3, s30, lo); store8(c3 + 8, s31, hi); }
                if (rows > 2) { store8(c2, s20, lo); store8(c2 + 8, s21, hi); }
                if (rows > 1) { store8(c1, s10, lo); store8(c1 + 8, s11, hi); }
                store8(c0, s00, lo); store8(c0 + 8, s01, hi);
            }
        }
    }
}


// Four output rows by thirty-two output columns: eight 512-bit accumulators.
__attribute__((target("avx512f")))
static void gemm_tn_avx512(const churn_gemm_tn_args *g) {
    const int m = g->m, n = g->n;
    for (int k0 = 0; k0 < g->k; k0 += K_BLOCK) {
        const int k1 = min_int(g->k, k0 + K_BLOCK);
        for (int j = 0; j < n; j += 32) {
            const int lo = min_int(16, n - j), hi = min_int(16, n - j - 16);
            for (int i = 0; i < m; i += 4) {
                const int rows = min_int(4, m - i);
                const int i1 = rows > 1 ? i + 1 : i, i2 = rows > 2 ? i + 2 : i, i3 = rows > 3 ? i + 3 : i;
                float *c0 = g->c + (long)i * g->ldc + j, *c1 = g->c + (long)i1 * g->ldc + j;
                float *c2 = g->c + (long)i2 * g->ldc + j, *c3 = g->c + (long)i3 * g->ldc + j;
                __m512 s00, s01, s10, s11, s20, s21, s30, s31;
                if (k0 == 0) {
                    s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = _mm512_setzero_ps();
                } else {
                    s00 = load16(c0, lo); s01 = load16(c0 + 16, hi); s10 = load16(c1, lo); s11 = load16(c1 + 16, hi);
                    s20 = load16(c2, lo); s21 = load16(c2 + 16, hi); s30 = load16(c3, lo); s31 = load16(c3 + 16, hi);
                }
                const float *a = g->a + (long)k0 * g->lda, *b = g->b + (long)k0 * g->ldb + j;
                for (int kk = k0; kk < k1; kk++, a += g->lda, b += g->ldb) {
                    const __m512 b0 = load16(b, lo), b1 = load16(b + 16, hi);
                    __m512 x = _mm512_set1_ps(a[i]);
                    s00 = _mm512_fmadd_ps(x, b0, s00); s01 = _mm512_fmadd_ps(x, b1, s01);
                    x = _mm512_set1_ps(a[i1]);
                    s10 = _mm512_fmadd_ps(x, b0, s10); s11 = _mm512_fmadd_ps(x, b1, s11);
                    x = _mm512_set1_ps(a[i2]);
                    s20 = _mm512_fmadd_ps(x, b0, s20); s21 = _mm512_fmadd_ps(x, b1, s21);
                    x = _mm512_set1_ps(a[i3]);
                    s30 = _mm512_fmadd_ps(x, b0, s30); s31 = _mm512_fmadd_ps(x, b1, s31);
                }
                if (rows > 3) { store16(c3, s30, lo); store16(c3 + 16, s31, hi); }
                if (rows > 2) { store16(c2, s20, lo); store16(c2 + 16, s21, hi); }
                if (rows > 1) { store16(c1, s10, lo); store16(c1 + 16, s11, hi); }
                store16(c0, s00, lo); store16(c0 + 16, s01, hi);
            }
        }
    }
}
#endif

// One output at a time with the C library's fused multiply-add: the vector paths' roundings.
static void gemm_tn_portable(const churn_gemm_tn_args *g) {
    for (int i = 0; i < g->m; i++) {
        for (int j = 0; j < g->n; j++) {
            float s = 0.0f;
            for (int kk = 0; kk < g->k; kk++) s = fmaf(g->a[(long)kk * g->lda + i], g->b[(long)kk * g->ldb + j], s);
            g->c[(long)i * g->ldc + j] = s;
        }
    }
}

void churn_gemm_tn(churn_isa isa, const churn_gemm_tn_args *args) {
    if (args->m <= 0 || args->n <= 0) return;
    if (args->k <= 0) {
        for (int i = 0; i < args->m; i++)
            for (int j = 0; j < args->n; j++) args->c[(long)i * args->ldc + j] = 0.0f;
        return;
    }
#if defined(__x86_64__)
    if (isa == CHURN_ISA_AVX512) { gemm_tn_avx512(args); return; }
    if (isa == CHURN_ISA_AVX2) { gemm_tn_avx2(args); return; }
#endif
    (void)isa;
    gemm_tn_portable(args);
}
