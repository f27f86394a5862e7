// The row-invariant matrix product of TensorKit's RowInvariantGEMM, one variant per instruction
// set. Every variant computes each output as the same chain of fused multiply-adds over k, in
// the same order (from zero or from the table row), then one add to c unless it overwrites: so
// the three paths agree to the last bit, and each row's result is independent of its neighbours.
#include "churn_kernels.h"
#include <math.h>

static inline int min_int(int a, int b) { return a < b ? a : b; }

// Row r of a block of `rows` rows: tail rows read row 0 again (their sums are discarded).
static inline int source_row(int row, int r, int rows) { return row + (r < rows ? r : 0); }

static inline int block_count(const churn_gemm_args *g, int row) {
    return g->counts ? g->counts[row / 4] : g->k;
}
static inline int column(const churn_gemm_args *g, int row, int i) {
    return g->counts ? g->lists[(long)(row / 4) * g->k + i] : i;
}

#if defined(__x86_64__)
#include "vector_lanes.h"

// Four rows by sixteen outputs per pass over k: eight accumulators, two weight loads and four
// broadcasts per k.
__attribute__((target("avx2,fma")))
static void gemm_avx2(const churn_gemm_args *g) {
    const int m = g->m, k = g->k, n = g->n;
    const int *restrict counts = g->counts, *restrict lists = g->lists;
    for (int j = 0; j < g->padded_n; j += 16) {
        const int width = min_int(16, n - j), lo = min_int(8, width), hi = width - 8;
        const float *slice = g->w + (long)(j / 16) * k * 16;
        for (int row = 0; row < m; row += 4) {
            const int rows = min_int(4, m - row);
            const float *a0 = g->a + (long)source_row(row, 0, rows) * g->lda;
            const float *a1 = g->a + (long)source_row(row, 1, rows) * g->lda;
            const float *a2 = g->a + (long)source_row(row, 2, rows) * g->lda;
            const float *a3 = g->a + (long)source_row(row, 3, rows) * g->lda;
            __m256 s00, s01, s10, s11, s20, s21, s30, s31;
            if (g->table) {
#define START(r) { const float *t = g->table + (long)g->index[source_row(row, r, rows)] * g->ldt + j; \
                   s##r##0 = load8(t, lo); s##r##1 = load8(t + 8, hi); }
                START(0) START(1) START(2) START(3)
#undef START
            } else {
                s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = _mm256_setzero_ps();
            }
#define STEP(kk) { const float *wp = slice + (long)(kk) * 16; \
                const __m256 w0 = _mm256_loadu_ps(wp), w1 = _mm256_loadu_ps(wp + 8); \
                __m256 x = _mm256_broadcast_ss(a0 + (kk)); \
                s00 = _mm256_fmadd_ps(x, w0, s00); s01 = _mm256_fmadd_ps(x, w1, s01); \
                x = _mm256_broadcast_ss(a1 + (kk)); \
                s10 = _mm256_fmadd_ps(x, w0, s10); s11 = _mm256_fmadd_ps(x, w1, s11); \
                x = _mm256_broadcast_ss(a2 + (kk)); \
                s20 = _mm256_fmadd_ps(x, w0, s20); s21 = _mm256_fmadd_ps(x, w1, s21); \
                x = _mm256_broadcast_ss(a3 + (kk)); \
                s30 = _mm256_fmadd_ps(x, w0, s30); s31 = _mm256_fmadd_ps(x, w1, s31); }
            if (counts) {
                const int *list = lists + (long)(row / 4) * k, count = counts[row / 4];
                for (int i = 0; i < count; i++) STEP(list[i])
            } else {
                for (int kk = 0; kk < k; kk++) STEP(kk)
            }
#undef STEP
#define PUT(r) if (r < rows) { float *out = g->c + (long)(row + r) * g->ldc + j; \
                if (g->overwrite) { store8(out, s##r##0, lo); store8(out + 8, s##r##1, hi); } \
                else { store8(out, _mm256_add_ps(load8(out, lo), s##r##0), lo); \
                       store8(out + 8, _mm256_add_ps(load8(out + 8, hi), s##r##1), hi); } }
            PUT(0) PUT(1) PUT(2) PUT(3)
#undef PUT
        }
    }
}

// Four rows by two slices of sixteen outputs per pass over k (one slice for an odd last one):
// eight 512-bit accumulators, as many independent chains as the AVX2 kernel.
__attribute__((target("avx512f")))
static void gemm_avx512(const churn_gemm_args *g) {
    const int m = g->m, k = g->k, n = g->n;
    const int *restrict counts = g->counts, *restrict lists = g->lists;
    for (int j = 0; j < g->padded_n; j += 32) {
        const int w0n = min_int(16, n - j), w1n = min_int(16, n - j - 16);
        const float *slice0 = g->w + (long)(j / 16) * k * 16;
        const float *slice1 = w1n > 0 ? slice0 + (long)k * 16 : slice0;
        for (int row = 0; row < m; row += 4) {
            const int rows = min_int(4, m - row);
            const float *a0 = g->a + (long)source_row(row, 0, rows) * g->lda;
            const float *a1 = g->a + (long)source_row(row, 1, rows) * g->lda;
            const float *a2 = g->a + (long)source_row(row, 2, rows) * g->lda;
            const float *a3 = g->a + (long)source_row(row, 3, rows) * g->lda;
            __m512 s00, s01, s10, s11, s20, s21, s30, s31;
            if (g->table) {
#define START(r) { const float *t = g->table + (long)g->index[source_row(row, r, rows)] * g->ldt + j; \
                   s##r##0 = load16(t, w0n); s##r##1 = load16(t + 16, w1n); }
                START(0) START(1) START(2) START(3)
#undef START
            } else {
                s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = _mm512_setzero_ps();
            }
#define STEP(kk) { const __m512 w0 = _mm512_loadu_ps(slice0 + (long)(kk) * 16); \
                const __m512 w1 = _mm512_loadu_ps(slice1 + (long)(kk) * 16); \
                __m512 x = _mm512_set1_ps(a0[kk]); \
                s00 = _mm512_fmadd_ps(x, w0, s00); s01 = _mm512_fmadd_ps(x, w1, s01); \
                x = _mm512_set1_ps(a1[kk]); \
                s10 = _mm512_fmadd_ps(x, w0, s10); s11 = _mm512_fmadd_ps(x, w1, s11); \
                x = _mm512_set1_ps(a2[kk]); \
                s20 = _mm512_fmadd_ps(x, w0, s20); s21 = _mm512_fmadd_ps(x, w1, s21); \
                x = _mm512_set1_ps(a3[kk]); \
                s30 = _mm512_fmadd_ps(x, w0, s30); s31 = _mm512_fmadd_ps(x, w1, s31); }
            if (counts) {
                const int *list = lists + (long)(row / 4) * k, count = counts[row / 4];
                for (int i = 0; i < count; i++) STEP(list[i])
            } else {
                for (int kk = 0; kk < k; kk++) STEP(kk)
            }
#undef STEP
#define PUT(r) if (r < rows) { float *out = g->c + (long)(row + r) * g->ldc + j; \
                if (g->overwrite) { store16(out, s##r##0, w0n); store16(out + 16, s##r##1, w1n); } \
                else { store16(out, _mm512_add_ps(load16(out, w0n), s##r##0), w0n); \
                       store16(out + 16, _mm512_add_ps(load16(out + 16, w1n), s##r##1), w1n); } }
            PUT(0) PUT(1) PUT(2) PUT(3)
#undef PUT
        }
    }
}
#endif

// One output at a time, with the C library's fused multiply-add (exact, in software where the
// CPU has no such instruction): the same roundings as the vector paths.
static void gemm_portable(const churn_gemm_args *g) {
    for (int row = 0; row < g->m; row++) {
        const float *a = g->a + (long)row * g->lda;
        float *out = g->c + (long)row * g->ldc;
        const int count = block_count(g, row);
        for (int o = 0; o < g->n; o++) {
            const float *w = g->w + (long)(o / 16) * g->k * 16 + o % 16;
            float s = g->table ? g->table[(long)g->index[row] * g->ldt + o] : 0.0f;
            for (int i = 0; i < count; i++) {
                const int kk = column(g, row, i);
                s = fmaf(a[kk], w[(long)kk * 16], s);
            }
            out[o] = g->overwrite ? s : out[o] + s;
        }
    }
}

void churn_row_invariant_gemm(churn_isa isa, const churn_gemm_args *args) {
#if defined(__x86_64__)
    if (isa == CHURN_ISA_AVX512) { gemm_avx512(args); return; }
    if (isa == CHURN_ISA_AVX2) { gemm_avx2(args); return; }
#endif
    (void)isa;
    gemm_portable(args);
}
