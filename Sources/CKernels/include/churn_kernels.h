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

/// The operands of `churn_gemm_tn`: `c (m, n) = aᵀ · b` with `a (k, m)` and `b (k, n)`
/// row-major (rows `lda`, `ldb` apart) and `c` rows `ldc` apart.
typedef struct {
    int m, n, k;
    const float *a; long lda;
    const float *b; long ldb;
    float *c; long ldc;
} churn_gemm_tn_args;

/// `c = aᵀ · b` on `isa` (which the CPU must support): the weight gradients, summed over a long
/// k. Every path computes each output as the same chain of fused multiply-adds over k in order,
/// from zero: the paths agree bitwise, and so does any split of c's rows (across threads).
void churn_gemm_tn(churn_isa isa, const churn_gemm_tn_args *args);

/// One step of the LSTM cell over `rows` rows (gate blocks i, f, g, o of H units each, as in
/// PyTorch): `gates (rows, 4H)` holds the pre-activations on entry and, when `tanh_c` is given
/// (training), σ(i), σ(f), tanh(g), σ(o) on exit. `c_prev (rows, H)` may be null (zero state) and
/// may be `c`. Writes `c = f·c_prev + i·g`, `tanh_c = tanh(c)` (when given) and `h = o·tanh(c)`.
void churn_lstm_cell_forward(churn_isa isa, float *gates, const float *c_prev, float *c, float *tanh_c,
                             float *h, long rows, long hidden);

/// The backward of `churn_lstm_cell_forward` for one step, from the activations and `tanh_c` it
/// kept: `dc (rows, H)` holds the cell gradient from the next step on entry and `dc·f` (for the
/// previous step) on exit; writes the pre-activation gradients `d_gates (rows, 4H)`.
void churn_lstm_cell_backward(churn_isa isa, float *d_gates, float *dc, const float *dh, const float *gates,
                              const float *tanh_c, const float *c_prev, long rows, long hidden);

/// The cell's transcendental functions, elementwise over `count` floats, as the cell computes
/// them: `exp` clamps its input to [−87.3, 88]; `sigmoid` is 1 / (1 + e^−x), `tanh` 2σ(2x) − 1.
typedef enum { CHURN_EXP = 0, CHURN_SIGMOID = 1, CHURN_TANH = 2 } churn_activation;
void churn_activation_apply(churn_isa isa, churn_activation kind, const float *x, float *y, long count);

#endif
