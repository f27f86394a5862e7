/// One `nn.LSTM` layer over a packed batch: `forward` and `backward` through time
/// (`LSTMLayer+Forward.swift`, `LSTMLayer+Backward.swift`).
///
/// Shapes: N = packed rows, B = sequences, I = input size of the layer, H = hidden size,
/// G = 4H gate pre-activations per row, ordered i, f, g, o as in PyTorch. Packed row
/// `plan.offsets[t] + j` is step t of the j-th longest sequence (see `PackingPlan`).
///
/// The forward pass keeps exactly what backward needs: the layer input (owned by the caller),
/// gate activations `(N, 4H)`, cells `(N, H)`, `tanh(c)` `(N, H)` and outputs `(N, H)`.
/// Neither pass allocates: every buffer, scratch included, comes from the caller's workspace.
enum LSTMLayer {}
