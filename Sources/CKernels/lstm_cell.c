// The LSTM cell's elementwise kernels, one variant per instruction set: the lane math is
// lstm_cell_lanes.h, included here once for AVX-512 (16 lanes), AVX2 (8 lanes) and portable
// scalar code (1 lane). Each operation is one IEEE operation per lane in the same order on every
// set, with fused multiply-adds where the math has them (fmaf on the portable path), so the
// three paths agree to the last bit.
#include "churn_kernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

// a·b + c stays two roundings unless written as a fused multiply-add.
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__)
#include <immintrin.h>

// MARK: AVX-512

#define ATTR __attribute__((target("avx512f")))
#define NAME(x) x##_avx512
#define V __m512
#define LANES 16
ATTR static inline __mmask16 mask16(int n) { return (__mmask16)((1u << n) - 1); }
#define LOAD(p, n) ((n) >= 16 ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(mask16(n), (p)))
#define STORE(p, v, n) ((n) >= 16 ? _mm512_storeu_ps((p), (v)) : _mm512_mask_storeu_ps((p), mask16(n), (v)))
#define SET1(x) _mm512_set1_ps(x)
#define ADD _mm512_add_ps
#define SUB _mm512_sub_ps
#define MUL _mm512_mul_ps
#define DIV _mm512_div_ps
#define NEG(x) _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN)))
#define FMA _mm512_fmadd_ps
// min(c, x) and max(c, x) return x when either is NaN: NaN passes through, as in the scalar form.
#define CLAMP_HI(x, c) _mm512_min_ps((c), (x))
#define CLAMP_LO(x, c) _mm512_max_ps((c), (x))
#define EXP2I(s, m) _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_sub_epi32( \
    _mm512_castps_si512(s), _mm512_castps_si512(m)), _mm512_set1_epi32(127)), 23))
#include "lstm_cell_lanes.h"

// MARK: AVX2

#define ATTR __attribute__((target("avx2,fma")))
#define NAME(x) x##_avx2
#define V __m256
#define LANES 8
ATTR static inline __m256i mask8(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#define LOAD(p, n) ((n) >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps((p), mask8(n)))
#define STORE(p, v, n) ((n) >= 8 ? _mm256_storeu_ps((p), (v)) : _mm256_maskstore_ps((p), mask8(n), (v)))
#define SET1(x) _mm256_set1_ps(x)
#define ADD _mm256_add_ps
#define SUB _mm256_sub_ps
#define MUL _mm256_mul_ps
#define DIV _mm256_div_ps
#define NEG(x) _mm256_xor_ps((x), _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MIN)))
#define FMA _mm256_fmadd_ps
#define CLAMP_HI(x, c) _mm256_min_ps((c), (x))
#define CLAMP_LO(x, c) _mm256_max_ps((c), (x))
#define EXP2I(s, m) _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32( \
    _mm256_castps_si256(s), _mm256_castps_si256(m)), _mm256_set1_epi32(127)), 23))
#include "lstm_cell_lanes.h"
#endif

// MARK: Portable

static inline float exp2i_scalar(float s, float m) {
    uint32_t bs, bm;
    memcpy(&bs, &s, 4);
    memcpy(&bm, &m, 4);
    const uint32_t bits = (bs - bm + 127u) << 23;
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

#define ATTR
#define NAME(x) x##_portable
#define V float
#define LANES 1
#define LOAD(p, n) (*(p))
#define STORE(p, v, n) (*(p) = (v))
#define SET1(x) (x)
#define ADD(a, b) ((a) + (b))
#define SUB(a, b) ((a) - (b))
#define MUL(a, b) ((a) * (b))
#define DIV(a, b) ((a) / (b))
#define NEG(x) (-(x))
#define FMA fmaf
#define CLAMP_HI(x, c) ((x) > (c) ? (c) : (x))
#define CLAMP_LO(x, c) ((x) < (c) ? (c) : (x))
#define EXP2I exp2i_scalar
#include "lstm_cell_lanes.h"

void churn_lstm_cell_forward(churn_isa isa, float *gates, const float *c_prev, float *c, float *tanh_c,
                             float *h, long rows, long hidden) {
#if defined(__x86_64__)
    if (isa == CHURN_ISA_AVX512) { cell_forward_avx512(gates, c_prev, c, tanh_c, h, rows, hidden); return; }
    if (isa == CHURN_ISA_AVX2) { cell_forward_avx2(gates, c_prev, c, tanh_c, h, rows, hidden); return; }
#endif
    (void)isa;
    cell_forward_portable(gates, c_prev, c, tanh_c, h, rows, hidden);
}

void churn_lstm_cell_backward(churn_isa isa, float *d_gates, float *dc, const float *dh, const float *gates,
                              const float *tanh_c, const float *c_prev, long rows, long hidden) {
#if defined(__x86_64__)
    if (isa == CHURN_ISA_AVX512) { cell_backward_avx512(d_gates, dc, dh, gates, tanh_c, c_prev, rows, hidden); return; }
    if (isa == CHURN_ISA_AVX2) { cell_backward_avx2(d_gates, dc, dh, gates, tanh_c, c_prev, rows, hidden); return; }
#endif
    (void)isa;
    cell_backward_portable(d_gates, dc, dh, gates, tanh_c, c_prev, rows, hidden);
}

void churn_activation_apply(churn_isa isa, churn_activation kind, const float *x, float *y, long count) {
#if defined(__x86_64__)
    if (isa == CHURN_ISA_AVX512) { activation_avx512(kind, x, y, count); return; }
    if (isa == CHURN_ISA_AVX2) { activation_avx2(kind, x, y, count); return; }
#endif
    (void)isa;
    activation_portable(kind, x, y, count);
}
