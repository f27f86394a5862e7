// Loads and stores of the first `count` lanes of a vector (loads fill the rest with zero), for
// the kernels of each instruction set; x86-64 only.
#ifndef CHURN_VECTOR_LANES_H
#define CHURN_VECTOR_LANES_H
#include <immintrin.h>

__attribute__((target("avx2,fma")))
static inline __m256i lane_mask8(int count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
__attribute__((target("avx2,fma")))
static inline __m256 load8(const float *p, int count) {
    if (count >= 8) return _mm256_loadu_ps(p);
    if (count <= 0) return _mm256_setzero_ps();
    return _mm256_maskload_ps(p, lane_mask8(count));
}
__attribute__((target("avx2,fma")))
static inline void store8(float *p, __m256 v, int count) {
    if (count >= 8) _mm256_storeu_ps(p, v);
    else if (count > 0) _mm256_maskstore_ps(p, lane_mask8(count), v);
}

__attribute__((target("avx512f")))
static inline __m512 load16(const float *p, int count) {
    if (count >= 16) return _mm512_loadu_ps(p);
    if (count <= 0) return _mm512_setzero_ps();
    return _mm512_maskz_loadu_ps((__mmask16)((1u << count) - 1), p);
}
__attribute__((target("avx512f")))
static inline void store16(float *p, __m512 v, int count) {
    if (count >= 16) _mm512_storeu_ps(p, v);
    else if (count > 0) _mm512_mask_storeu_ps(p, (__mmask16)((1u << count) - 1), v);
}

#endif
