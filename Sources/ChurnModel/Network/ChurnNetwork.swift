import ChurnSupport
import TensorKit

/// Errors of the model library.
public enum ModelError: CategorizedError, Equatable {
    public var category: ErrorCategory { .badData }

    case invalidBatch(String)
    case nonFinite(String)

    public var description: String {
        switch self {
        case .invalidBatch(let why): return "invalid batch: \(why)"
        case .nonFinite(let what): return "non-finite values in \(what)"
        }
    }
}

/// The churn network: Embedding → L-layer LSTM → Linear head on the last step's top hidden state.
///
/// `forward` packs a batch (sorted by length, shrinking the active rows at each step), runs every
/// layer and returns one logit per sequence; `backward` propagates logit gradients back through
/// time and accumulates (`+=`) into `parameters.gradients`, which the caller zeroes once per step.
/// Workspaces grow to the largest batch seen and are reused, so steady-state training allocates
/// nothing per batch inside the network. Not thread-safe: one network per thread.
public final class ChurnNetwork {
    public let shape: NetworkShape
    public let parameters: ParameterSet

    // Forward state kept for backward (per layer: gates, c, tanh c, h), and the layer-0 input.
    private var x0 = FloatBuffer()
    private var gates: [FloatBuffer], cells: [FloatBuffer], tanhCells: [FloatBuffer], hidden: [FloatBuffer]
    // Backward scratch.
    private var dgates = FloatBuffer(), dhTop = FloatBuffer(), dhBelow = FloatBuffer()
    private var dx0 = FloatBuffer(), gradientRows = FloatBuffer(), dweights = FloatBuffer(), dc = FloatBuffer()
    /// Gradient of the loss with respect to the numeric inputs, `(S, F)` sequence-major, after a
    /// `backward` with `computesNumericGradient` set.
    public private(set) var numericGradient = FloatBuffer()
    /// Whether `backward` computes `numericGradient` (for checks and attributions). Training
    /// does not need it: without it, the layer-0 input gradient is computed only for the
    /// embedding columns (none when E = 0), which spares a GEMM of N·4H·F multiply-adds — as
    /// PyTorch skips the gradient of inputs that do not require it.
    public var computesNumericGradient = false

    /// Inverted dropout for a training forward pass: every layer-0 input value (embedding and
    /// numeric features) and every value of the last hidden state fed to the head is zeroed with
    /// probability `rate` and the rest scaled by `1 / (1 − rate)`; the masks come from `seed`.
    /// Set it for one training step and clear it afterwards: inference never drops anything.
    public struct Dropout: Sendable {
        public var rate: Float
        public var seed: UInt64
        public init(rate: Float, seed: UInt64) { self.rate = rate; self.seed = seed }
    }
    /// Dropout for `.training` forward passes (nil: none).
    public var dropout: Dropout?
    private var inputMask = FloatBuffer(), headMask = FloatBuffer()
    private var masked = false

    private var plan: PackingPlan?
    private var batch: SequenceBatch?
    private var lastMode = Mode.training

    /// Training keeps what backward needs (its weight gradients use BLAS); inference keeps
    /// nothing for backward. Both forward passes are batch-invariant: a sequence's logit is
    /// bitwise the same whatever shares its batch.
    public enum Mode { case training, inference }

    /// Inference: `[W_ih | W_hh]` per layer, packed once per set of weights.
    private var packedWeights: [RowInvariantGEMM.PackedWeights] = []
    private var packedGeneration = -1
    /// Inference, E > 0: `b_ih + b_hh + embedding · W_ih[:, :E]ᵀ`, `(V, 4H)` — the biases and the
    /// embedding's share of the layer-0 gates for each event type, which a row's sum starts from
    /// instead of E multiply-adds per gate; `packedWeights[0]` then holds only `[W_ih[:, E:] | W_hh]`.
    private var embeddingGates = FloatBuffer()
    private var packedIDs = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 0)

    deinit { packedIDs.deallocate() }
    // Training packs [W_ih | W_hh] (forward) and W_hhᵀ (backward) afresh on every pass —
    // 4H·(I + H) floats, nothing next to the pass itself — so that weights changed through raw
    // pointers (finite differences, checkpoint loads) can never be stale.
    private lazy var trainingXH: [RowInvariantGEMM.PackedWeights] = (0..<shape.numLayers).map { l in
        RowInvariantGEMM.PackedWeights(n: 4 * shape.hiddenSize, k: shape.inputSize(ofLayer: l) + shape.hiddenSize)
    }
    private lazy var trainingHHTransposed: [RowInvariantGEMM.PackedWeights] = (0..<shape.numLayers).map { _ in
        RowInvariantGEMM.PackedWeights(n: shape.hiddenSize, k: 4 * shape.hiddenSize)
    }

    /// `[W_ih[:, skip:] | W_hh]` of layer `l` packed into `target` (k = I − skip + H).
    private func packInputAndRecurrent(layer l: Int, skippingInputColumns skip: Int, into target: RowInvariantGEMM.PackedWeights) {
        let p = parameters.values.pointer, I = shape.inputSize(ofLayer: l), H = shape.hiddenSize
        target.pack(weight: p + parameters.weightIHOffsets[l] + skip, ldw: I, columns: I - skip, at: 0)
        target.pack(weight: p + parameters.weightHHOffsets[l], ldw: H, columns: H, at: I - skip)
    }

    private func inferenceWeights() -> [RowInvariantGEMM.PackedWeights] {
        if packedGeneration != parameters.generation || packedWeights.count != shape.numLayers {
            let p = parameters.values.pointer, H = shape.hiddenSize, E = shape.embeddingSize
            packedWeights = (0..<shape.numLayers).map { l in
                let skip = l == 0 ? E : 0
                let packed = RowInvariantGEMM.PackedWeights(n: 4 * H, k: shape.inputSize(ofLayer: l) - skip + H)
                packInputAndRecurrent(layer: l, skippingInputColumns: skip, into: packed)
                return packed
            }
            if E > 0 {
                // The same kernel as the time loop, starting from the biases: a row's gates
                // continue from its table row exactly as if its embedding columns had been
                // summed in place.
                let V = shape.vocabularySize, I = shape.inputSize, G = 4 * H
                let embeddingIH = RowInvariantGEMM.PackedWeights(weight: p + parameters.weightIHOffsets[0], n: G, k: E, ldw: I)
                var biasSum = [Float](repeating: 0, count: G)
                for k in 0..<G { biasSum[k] = p[parameters.biasIHOffsets[0] + k] + p[parameters.biasHHOffsets[0] + k] }
                let zeros = [Int32](repeating: 0, count: V)
                embeddingGates.resize(V * G)
                biasSum.withUnsafeBufferPointer { b in
                    zeros.withUnsafeBufferPointer { z in
                        RowInvariantGEMM.accumulate(m: V, a: p + parameters.embeddingOffset, lda: E, weights: embeddingIH,
                                                    c: embeddingGates.pointer, ldc: G,
                                                    initial: .init(table: b.baseAddress!, ldt: 0, index: z.baseAddress!),
                                                    overwrite: true)
                    }
                }
            }
            packedGeneration = parameters.generation
        }
        return packedWeights
    }

    private func trainingWeights(layer l: Int) -> RowInvariantGEMM.PackedWeights {
        packInputAndRecurrent(layer: l, skippingInputColumns: 0, into: trainingXH[l])
        return trainingXH[l]
    }

    private func transposedRecurrentWeights(layer l: Int) -> RowInvariantGEMM.PackedWeights {
        trainingHHTransposed[l].pack(transposeOf: parameters.values.pointer + parameters.weightHHOffsets[l])
        return trainingHHTransposed[l]
    }

    public init(shape: NetworkShape, parameters: ParameterSet? = nil) {
        precondition(parameters == nil || parameters!.shape == shape)
        self.shape = shape
        self.parameters = parameters ?? ParameterSet(shape: shape)
        let L = shape.numLayers
        gates = (0..<L).map { _ in FloatBuffer() }
        cells = (0..<L).map { _ in FloatBuffer() }
        tanhCells = (0..<L).map { _ in FloatBuffer() }
        hidden = (0..<L).map { _ in FloatBuffer() }
    }

    /// Runs the network on `batch` and returns one logit per sequence, in batch order.
    /// - Throws: `ModelError.invalidBatch` when event ids or feature widths do not fit the shape.
    /// - Complexity: O(N·4H·(I + H)) for N packed steps.
    public func forward(_ batch: SequenceBatch, mode: Mode = .training) throws -> [Float] {
        let V = shape.vocabularySize, E = shape.embeddingSize, F = shape.numericSize
        let H = shape.hiddenSize, I = shape.inputSize
        guard batch.numeric.count == batch.totalSteps * F else {
            throw ModelError.invalidBatch("expected \(F) numeric features per step, got \(batch.numeric.count) values for \(batch.totalSteps) steps")
        }
        if let bad = batch.eventIDs.first(where: { $0 < 0 || Int($0) >= V }) {
            throw ModelError.invalidBatch("event id \(bad) outside the vocabulary of \(V)")
        }
        guard batch.count > 0 else { return [] }
        let plan = PackingPlan(lengths: batch.lengths)
        let N = plan.totalRows
        self.plan = plan
        self.batch = batch
        let parts = plan.partitions(Threading.threadCount)
        lastMode = mode
        let packed = mode == .inference ? inferenceWeights() : []

        let p = parameters.values.pointer
        // Inference with an embedding: layer 0 reads the embedding's share of its gates from
        // `embeddingGates`, so x0 holds only the numeric features and each row's event id.
        let tabulated = mode == .inference && E > 0
        x0.resize(N * (tabulated ? F : I))
        if tabulated && packedIDs.count < N {
            packedIDs.deallocate()
            packedIDs = .allocate(capacity: N)
        }
        batch.eventIDs.withUnsafeBufferPointer { ids in
            batch.numeric.withUnsafeBufferPointer { numeric in
                Embedding.forward(out: x0.pointer, eventIDs: ids.baseAddress!,
                                  numeric: numeric.baseAddress ?? UnsafePointer(x0.pointer),
                                  weight: p + parameters.embeddingOffset, plan: plan, parts: parts,
                                  E: tabulated ? 0 : E, F: F, packedIDs: tabulated ? packedIDs.baseAddress : nil)
            }
        }
        masked = false
        if mode == .training, let dropout, dropout.rate > 0 {
            masked = true
            var rng = SeededGenerator(seed: dropout.seed)
            inputMask.resize(N * I); headMask.resize(batch.count * H)
            Self.fillMask(inputMask.pointer, count: N * I, rate: dropout.rate, using: &rng)
            Self.fillMask(headMask.pointer, count: batch.count * H, rate: dropout.rate, using: &rng)
            for i in 0..<N * I { x0.pointer[i] *= inputMask.pointer[i] }
        }
        for l in 0..<shape.numLayers {
            // Inference uses the gate buffer only as per-step scratch: one row per sequence.
            gates[l].resize((mode == .inference ? batch.count : N) * 4 * H); cells[l].resize(N * H); hidden[l].resize(N * H)
            if mode == .training { tanhCells[l].resize(N * H) }
            let input = l == 0 ? x0.pointer : hidden[l - 1].pointer
            LSTMLayer.forward(gates: gates[l].pointer, c: cells[l].pointer, tanhC: mode == .training ? tanhCells[l].pointer : nil,
                              h: hidden[l].pointer, input: input,
                              biasIH: p + parameters.biasIHOffsets[l], biasHH: p + parameters.biasHHOffsets[l],
                              plan: plan, parts: parts, I: l == 0 && tabulated ? F : shape.inputSize(ofLayer: l), H: H,
                              packedXH: mode == .inference ? packed[l] : trainingWeights(layer: l),
                              initialIH: l == 0 && tabulated
                                ? (UnsafePointer(embeddingGates.pointer), UnsafePointer(packedIDs.baseAddress!)) : nil)
        }
        // logit = head.weight · h_last + head.bias
        let top = hidden[shape.numLayers - 1].pointer
        let w = p + parameters.headWeightOffset, bias = p[parameters.headBiasOffset]
        var logits = [Float](repeating: 0, count: batch.count)
        for (j, b) in plan.order.enumerated() {
            let row = top + plan.lastRows[j] * H
            var z: Float = 0
            if masked {
                let m = headMask.pointer + j * H
                for k in 0..<H { z += w[k] * (row[k] * m[k]) }
            } else {
                for k in 0..<H { z += w[k] * row[k] }
            }
            logits[b] = z + bias
        }
        return logits
    }

    /// Fills `count` mask values: 0 with probability `rate`, else `1 / (1 − rate)`; 16 random
    /// bits per value.
    static func fillMask(_ mask: UnsafeMutablePointer<Float>, count: Int, rate: Float, using rng: inout SeededGenerator) {
        let keep = 1 / (1 - rate)
        let threshold = UInt64((Double(rate) * 65536).rounded())
        var i = 0
        while i < count {
            var bits = rng.next()
            for _ in 0..<min(4, count - i) {
                mask[i] = (bits & 0xFFFF) < threshold ? 0 : keep
                bits >>= 16
                i += 1
            }
        }
    }

    /// Back-propagates `dlogits` (B, batch order) of the last `forward` through the network,
    /// accumulating into `parameters.gradients` and filling `numericGradient`.
    /// - Precondition: `forward` ran on a batch of the same size.
    public func backward(_ dlogits: [Float]) {
        guard let plan, let batch else { preconditionFailure("backward before forward") }
        precondition(lastMode == .training, "backward after an inference-mode forward")
        precondition(dlogits.count == batch.count, "one gradient per sequence")
        let E = shape.embeddingSize, F = shape.numericSize, H = shape.hiddenSize, L = shape.numLayers
        let N = plan.totalRows, B = plan.batchCount
        let p = parameters.values.pointer, g = parameters.gradients.pointer

        // Head: dW += Σ dz·h_last, db += Σ dz, dh_last = dz·W.
        let top = hidden[L - 1].pointer
        let w = p + parameters.headWeightOffset, dw = g + parameters.headWeightOffset
        dhTop.resize(N * H); dhTop.zero()
        for (j, b) in plan.order.enumerated() {
            let dz = dlogits[b], row = plan.lastRows[j]
            if masked {
                let m = headMask.pointer + j * H
                for k in 0..<H {
                    dw[k] += dz * (top[row * H + k] * m[k])
                    dhTop.pointer[row * H + k] = dz * w[k] * m[k]
                }
            } else {
                for k in 0..<H {
                    dw[k] += dz * top[row * H + k]
                    dhTop.pointer[row * H + k] = dz * w[k]
                }
            }
            g[parameters.headBiasOffset] += dz
        }

        let I0 = shape.inputSize
        // Layer 0's input gradient: all columns, or only the embedding's.
        let dx0Columns = computesNumericGradient ? I0 : E
        dgates.resize(N * 4 * H); dc.resize(B * H)
        gradientRows.resize(N * (H + (L > 1 ? max(H, I0) : I0) + 1))
        dweights.resize(4 * H * (H + (L > 1 ? max(H, I0) : I0) + 1))
        dhBelow.resize(N * H); dx0.resize(N * dx0Columns)
        var dh = dhTop, dhNext = dhBelow
        let parts = plan.partitions(Threading.threadCount)
        for l in stride(from: L - 1, through: 0, by: -1) {
            let input = l == 0 ? x0.pointer : hidden[l - 1].pointer
            let dinput = l == 0 ? dx0.pointer : dhNext.pointer
            LSTMLayer.backward(dinput: dinput, dinputColumns: l == 0 ? dx0Columns : H,
                               dweightIH: g + parameters.weightIHOffsets[l], dweightHH: g + parameters.weightHHOffsets[l],
                               dbiasIH: g + parameters.biasIHOffsets[l], dbiasHH: g + parameters.biasHHOffsets[l],
                               dh: dh.pointer, dgates: dgates.pointer,
                               rows: gradientRows.pointer, dweights: dweights.pointer, dc: dc.pointer,
                               input: input, gates: gates[l].pointer, c: cells[l].pointer,
                               tanhC: tanhCells[l].pointer, h: hidden[l].pointer,
                               weightIH: p + parameters.weightIHOffsets[l],
                               plan: plan, parts: parts, I: shape.inputSize(ofLayer: l), H: H,
                               packedHHTransposed: transposedRecurrentWeights(layer: l))
            swap(&dh, &dhNext)
        }
        if masked {
            for r in 0..<N {
                for k in 0..<dx0Columns { dx0.pointer[r * dx0Columns + k] *= inputMask.pointer[r * I0 + k] }
            }
        }
        if computesNumericGradient { numericGradient.resize(batch.totalSteps * F) }
        if dx0Columns > 0 {
            batch.eventIDs.withUnsafeBufferPointer { ids in
                Embedding.backward(dweight: g + parameters.embeddingOffset,
                                   dnumeric: computesNumericGradient ? numericGradient.pointer : nil,
                                   dx: dx0.pointer, eventIDs: ids.baseAddress!, plan: plan, E: E,
                                   F: computesNumericGradient ? F : 0)
            }
        }
    }

    /// The final hidden and cell states `(L, B, H)` of the last forward pass, batch order, as
    /// PyTorch's `h_n` and `c_n`.
    public func finalStates() -> (h: Tensor, c: Tensor) {
        guard let plan else { preconditionFailure("finalStates before forward") }
        let H = shape.hiddenSize, B = plan.batchCount, L = shape.numLayers
        var hn = Tensor(shape: [L, B, H]), cn = Tensor(shape: [L, B, H])
        for l in 0..<L {
            for (j, b) in plan.order.enumerated() {
                let row = plan.lastRows[j]
                for k in 0..<H {
                    hn.storage[(l * B + b) * H + k] = hidden[l].pointer[row * H + k]
                    cn.storage[(l * B + b) * H + k] = cells[l].pointer[row * H + k]
                }
            }
        }
        return (hn, cn)
    }

    /// The top layer's output at every step `(S, H)`, sequence-major, from the last forward pass.
    public func topOutputs() -> Tensor {
        guard let plan, let batch else { preconditionFailure("topOutputs before forward") }
        let H = shape.hiddenSize
        let top = hidden[shape.numLayers - 1].pointer
        var out = Tensor(shape: [batch.totalSteps, H])
        for t in 0..<plan.steps {
            for j in 0..<plan.batchSizes[t] {
                let source = plan.sequenceStarts[plan.order[j]] + t
                for k in 0..<H { out.storage[source * H + k] = top[(plan.offsets[t] + j) * H + k] }
            }
        }
        return out
    }
}
