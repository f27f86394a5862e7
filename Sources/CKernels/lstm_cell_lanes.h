// The LSTM cell's lane math, written once and included once per instruction set by lstm_cell.c.
//
// The includer defines the vector type and its operations for one instruction set:
//   ATTR            the target attribute of every function here
//   NAME(x)         x with the set's suffix
//   V, LANES        the vector type and its width
//   LOAD(p, n), STORE(p, v, n)     the first n lanes (loads fill the rest with zero)
//   SET1(x), ADD, SUB, MUL, DIV, NEG
//   FMA(a, b, c)    a·b + c with one rounding
//   CLAMP_HI(x, c)  x > c ? c : x, CLAMP_LO(x, c)  x < c ? c : x  (NaN stays NaN)
//   EXP2I(s, m)     the float whose bits are ((bits(s) − bits(m) + 127) << 23), per lane
//
// Every operation is one IEEE operation per lane, in the same order on every set, so the sets
// agree to the last bit (the includer turns off floating-point contraction). The end of this
// file undefines those macros, for the next set.

// e^x: Cephes' single-precision polynomial; x clamped to [−87.3, 88], so the result is finite
// and normal. n = round(x / ln 2) by the magic-number trick: adding 1.5·2²³ leaves n in the low
// mantissa bits, which also gives 2ⁿ's exponent bits without a float-to-int conversion.
ATTR static inline V NAME(exp)(V x) {
    x = CLAMP_HI(x, SET1(88.0f));
    x = CLAMP_LO(x, SET1(-87.3f));
    const V magic = SET1(12582912.0f);
    const V shifted = FMA(x, SET1(1.44269504088896341f), magic);
    const V n = SUB(shifted, magic);
    x = FMA(n, SET1(-0.693359375f), x);
    x = FMA(n, SET1(2.12194440e-4f), x);
    const V z = MUL(x, x);
    V y = SET1(1.9875691500e-4f);
    y = FMA(y, x, SET1(1.3981999507e-3f));
    y = FMA(y, x, SET1(8.3334519073e-3f));
    y = FMA(y, x, SET1(4.1665795894e-2f));
    y = FMA(y, x, SET1(1.6666665459e-1f));
    y = FMA(y, x, SET1(5.0000001201e-1f));
    y = FMA(y, z, ADD(x, SET1(1.0f)));
    return MUL(y, EXP2I(shifted, magic));
}

// 1 / (1 + e^−x).
ATTR static inline V NAME(sigmoid)(V x) {
    return DIV(SET1(1.0f), ADD(SET1(1.0f), NAME(exp)(NEG(x))));
}

// tanh(x) = 2·σ(2x) − 1: one exponential and one division, no branches.
ATTR static inline V NAME(tanh)(V x) {
    return SUB(DIV(SET1(2.0f), ADD(SET1(1.0f), NAME(exp)(NEG(ADD(x, x))))), SET1(1.0f));
}

// `n` units of one row from unit j: activations and the new cell (see churn_lstm_cell_forward).
ATTR static inline __attribute__((always_inline))
void NAME(forward_lanes)(float *g, const float *cp, float *c, float *tc, float *h, long j, long H, int n) {
    const V i = NAME(sigmoid)(LOAD(g + j, n)), f = NAME(sigmoid)(LOAD(g + H + j, n));
    const V gg = NAME(tanh)(LOAD(g + 2 * H + j, n)), o = NAME(sigmoid)(LOAD(g + 3 * H + j, n));
    const V prev = cp ? LOAD(cp + j, n) : SET1(0.0f);
    const V cell = FMA(f, prev, MUL(i, gg));
    const V t = NAME(tanh)(cell);
    if (tc) {
        STORE(g + j, i, n); STORE(g + H + j, f, n);
        STORE(g + 2 * H + j, gg, n); STORE(g + 3 * H + j, o, n);
        STORE(tc + j, t, n);
    }
    STORE(c + j, cell, n);
    STORE(h + j, MUL(o, t), n);
}

ATTR static void NAME(cell_forward)(float *gates, const float *c_prev, float *c, float *tanh_c, float *h,
                                    long rows, long H) {
    for (long r = 0; r < rows; r++) {
        float *g = gates + r * 4 * H;
        const float *cp = c_prev ? c_prev + r * H : 0;
        float *cr = c + r * H, *hr = h + r * H, *tr = tanh_c ? tanh_c + r * H : 0;
        long j = 0;
        for (; j + LANES <= H; j += LANES) NAME(forward_lanes)(g, cp, cr, tr, hr, j, H, LANES);
        if (j < H) NAME(forward_lanes)(g, cp, cr, tr, hr, j, H, (int)(H - j));
    }
}

// `n` units of one row from unit j: gate pre-activation gradients and dc for the previous step.
ATTR static inline __attribute__((always_inline))
void NAME(backward_lanes)(float *dg, float *dc, const float *dh, const float *g, const float *tc,
                          const float *cp, long j, long H, int n) {
    const V one = SET1(1.0f);
    const V i = LOAD(g + j, n), f = LOAD(g + H + j, n), gg = LOAD(g + 2 * H + j, n), o = LOAD(g + 3 * H + j, n);
    const V t = LOAD(tc + j, n), dhj = LOAD(dh + j, n);
    const V prev = cp ? LOAD(cp + j, n) : SET1(0.0f);
    // dc + dh·o·(1 − tanh²c), left to right.
    const V dcj = ADD(LOAD(dc + j, n), MUL(MUL(dhj, o), SUB(one, MUL(t, t))));
    STORE(dg + j, MUL(MUL(MUL(dcj, gg), i), SUB(one, i)), n);
    STORE(dg + H + j, MUL(MUL(MUL(dcj, prev), f), SUB(one, f)), n);
    STORE(dg + 2 * H + j, MUL(MUL(dcj, i), SUB(one, MUL(gg, gg))), n);
    STORE(dg + 3 * H + j, MUL(MUL(MUL(dhj, t), o), SUB(one, o)), n);
    STORE(dc + j, MUL(dcj, f), n);
}

ATTR static void NAME(cell_backward)(float *d_gates, float *dc, const float *dh, const float *gates,
                                     const float *tanh_c, const float *c_prev, long rows, long H) {
    for (long r = 0; r < rows; r++) {
        float *dg = d_gates + r * 4 * H, *dcr = dc + r * H;
        const float *g = gates + r * 4 * H, *dhr = dh + r * H, *tr = tanh_c + r * H;
        const float *cp = c_prev ? c_prev + r * H : 0;
        long j = 0;
        for (; j + LANES <= H; j += LANES) NAME(backward_lanes)(dg, dcr, dhr, g, tr, cp, j, H, LANES);
        if (j < H) NAME(backward_lanes)(dg, dcr, dhr, g, tr, cp, j, H, (int)(H - j));
    }
}

ATTR static void NAME(activation)(churn_activation kind, const float *x, float *y, long count) {
    long j = 0;
    for (; j < count; j += LANES) {
        const int n = count - j < LANES ? (int)(count - j) : LANES;
        const V v = LOAD(x + j, n);
        STORE(y + j, kind == CHURN_EXP ? NAME(exp)(v) : kind == CHURN_SIGMOID ? NAME(sigmoid)(v) : NAME(tanh)(v), n);
    }
}

#undef ATTR
#undef NAME
#undef V
#undef LANES
#undef LOAD
#undef STORE
#undef SET1
#undef ADD
#undef SUB
#undef MUL
#undef DIV
#undef NEG
#undef FMA
#undef CLAMP_HI
#undef CLAMP_LO
#undef EXP2I
