// Micro-kernels compiled for several x86-64 instruction sets in one binary, chosen at run time
// from CPUID: each variant carries its own target attribute, so the module needs no -march.
#ifndef CHURN_KERNELS_H
#define CHURN_KERNELS_H

/// Instruction-set paths, widest last.
typedef enum {
    CHURN_ISA_PORTABLE = 0,
    CHURN_ISA_AVX2 = 1,
    CHURN_ISA_AVX512 = 2,
} churn_isa;

/// The widest path this CPU runs (AVX-512 needs AVX512F; AVX2 needs AVX2 and FMA).
churn_isa churn_detect_isa(void);

/// Runs `iterations` rounds of a register-only multiply-add loop on `isa`'s vectors (which the
/// CPU must support) and returns the floating-point operations done: 2 per lane per multiply-add.
/// `sink` receives a value depending on every result, so that nothing is optimized away.
double churn_fma_loop(churn_isa isa, long iterations, float *sink);

/// The operands of `churn_row_invariant_gemm`: `c (m, n) += a (m, k) · Wᵀ`, or `c =` with
/// `overwrite`, with `Wᵀ` packed in slices of sixteen outputs (slice s holds `Wᵀ[:, 16s ..< 16s+16]`
/// as `(k, 16)` contiguous floats, n padded to `padded_n`, a multiple of 16, with zeros).
typedef struct {
    int m, k, n, padded_n;
    const float *a; long lda;
    const float *w;
    float *c; long ldc;
    /// Nullable: per block of four rows, the number of nonzero input columns (`counts[b]`) and
    /// their list (`lists + b * k`); without them every column is summed.
    const int *counts; const int *lists;
    /// Nullable: row r's sums start from `table + index[r] * ldt` instead of zero.
    const float *table; long ldt; const int *index;
    int overwrite;
} churn_gemm_args;

/// The row-invariant product on `isa` (which the CPU must support). Every path computes each
/// output as the same chain of fused multiply-adds in the same order: the paths agree bitwise.
void churn_row_invariant_gemm(churn_isa isa, const churn_gemm_args *args);

#endif
