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

#endif
