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

/// The churn network: Embedding → L-layer LSTM → a head on the last step's top hidden state.
///
/// `forward` (`ChurnNetwork+Forward.swift`) packs a batch (sorted by length, shrinking the
/// active rows at each step), runs every layer and returns the head's output per sequence;
/// `backward` (`ChurnNetwork+Backward.swift`) propagates output gradients back through time
/// and accumulates (`+=`) into `parameters.gradients`, which the caller zeroes once per step.
/// Every buffer lives in one workspace reused across batches, so steady-state training
/// allocates nothing per batch inside the network. Weights change only inside
/// `updateParameters`, which keeps the inference cache consistent with them.
/// Not thread-safe: one network per thread.
///
/// Shapes: V = vocabulary, E = embedding, F = numeric features, I = E + F, H = hidden,
/// L = layers, B = sequences in a batch, N = packed rows (sum of lengths), S = N sequence-major.
public final class ChurnNetwork {
    public let shape: NetworkShape
    public let parameters: ParameterSet
    /// The head and its loss: one logit per sequence, binary cross-entropy.
    public let head = NetworkHead()

    /// Gradient of the loss with respect to the numeric inputs, `(S, F)` sequence-major, after a
    /// `backward` with `computesNumericGradient` set.
    public let numericGradient = FloatBuffer()
    /// Whether `backward` computes `numericGradient` (for checks and attributions). Training
    /// does not need it: without it, the layer-0 input gradient is computed only for the
    /// embedding columns (none when E = 0), which spares a product of N·4H·F multiply-adds, as
    /// PyTorch skips the gradient of inputs that do not require it.
    public var computesNumericGradient = false

    /// Gradient of the output with respect to every layer-0 input value (embedding and numeric
    /// columns), `(S, I)` sequence-major, after a `backward` with `computesInputGradient` set.
    public let inputGradient = FloatBuffer()
    /// Whether `backward` computes `inputGradient` (attributions: integrated gradients).
    public var computesInputGradient = false
    /// Whether `backward` accumulates the embedding's and the LSTM layers' parameter gradients
    /// (attributions need only `inputGradient`, and skip the weight-gradient products; the head's
    /// few gradients still accumulate).
    public var computesParameterGradients = true

    /// A point on the straight path from a baseline input to the real one, for integrated
    /// gradients: a `.training` forward pass feeds layer 0 with `x' + alpha · (x − x')`, where
    /// `x'` is `lastStepBaseline` (I values) on each sequence's last step and 0 on the others.
    public struct InputPath: Sendable {
        public var alpha: Float
        public var lastStepBaseline: [Float]
        public init(alpha: Float, lastStepBaseline: [Float]) {
            self.alpha = alpha
            self.lastStepBaseline = lastStepBaseline
        }
    }
    /// The input path of `.training` forward passes (nil: the inputs as they are).
    public var inputPath: InputPath?

    /// Inverted dropout for a training forward pass: every layer-0 input value (embedding and
    /// numeric features) and every value of the last hidden state fed to the head is zeroed with
    /// probability `rate` and the rest scaled by `1 / (1 − rate)`. Each sequence draws its masks
    /// from its own stream, seeded by `seed` and its position in the batch plus `firstRow`, so
    /// that a batch split across processes (each passing its share's first position) draws
    /// exactly the masks of the whole batch.
    /// Set it for one training step and clear it afterwards: inference never drops anything.
    public struct Dropout: Sendable {
        public var rate: Float
        public var seed: UInt64
        public var firstRow: Int
        public init(rate: Float, seed: UInt64, firstRow: Int = 0) { self.rate = rate; self.seed = seed; self.firstRow = firstRow }

        /// The generator of the sequence at `row` of the batch.
        func generator(row: Int) -> SeededGenerator {
            SeededGenerator(seed: seed ^ (UInt64(firstRow + row + 1) &* 0xD6E8_FEB8_6659_FD93))
        }
    }
    /// Dropout for `.training` forward passes (nil: none).
    public var dropout: Dropout?

    /// Training keeps what backward needs (its weight gradients use BLAS); inference keeps
    /// nothing for backward. Both forward passes are batch-invariant: a sequence's logit is
    /// bitwise the same whatever shares its batch.
    public enum Mode { case training, inference }

    let workspace: Workspace
    let inferenceCache = InferenceCache()
    /// The last forward pass: its packing, batch and mode, and whether dropout masked it.
    var plan: PackingPlan?
    var batch: SequenceBatch?
    var lastMode = Mode.training
    var masked = false

    public init(shape: NetworkShape, parameters: ParameterSet? = nil) {
        precondition(parameters == nil || parameters!.shape == shape)
        self.shape = shape
        self.parameters = parameters ?? ParameterSet(shape: shape)
        workspace = Workspace(shape: shape)
    }

    /// Runs `body` on the parameters, then drops everything derived from the weights.
    ///
    /// Every change of the weights goes through here: initialization, optimizer steps,
    /// copies of the best or averaged weights, checkpoint loads, finite differences.
    @discardableResult
    public func updateParameters<Result>(_ body: (ParameterSet) throws -> Result) rethrows -> Result {
        defer { inferenceCache.invalidate() }
        return try body(parameters)
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

    /// The final hidden and cell states `(L, B, H)` of the last forward pass, batch order, as
    /// PyTorch's `h_n` and `c_n`.
    public func finalStates() -> (h: Tensor, c: Tensor) {
        guard let plan else { preconditionFailure("finalStates before forward") }
        let H = shape.hiddenSize, B = plan.batchCount, L = shape.numLayers
        var hn = Tensor(shape: [L, B, H]), cn = Tensor(shape: [L, B, H])
        for l in 0..<L {
            let h = workspace.layers[l].h.pointer, c = workspace.layers[l].c.pointer
            for (j, b) in plan.order.enumerated() {
                let row = plan.lastRows[j]
                for k in 0..<H {
                    hn.storage[(l * B + b) * H + k] = h[row * H + k]
                    cn.storage[(l * B + b) * H + k] = c[row * H + k]
                }
            }
        }
        return (hn, cn)
    }

    /// The top layer's output at every step `(S, H)`, sequence-major, from the last forward pass.
    public func topOutputs() -> Tensor {
        guard let plan, let batch else { preconditionFailure("topOutputs before forward") }
        let H = shape.hiddenSize
        let top = workspace.layers[shape.numLayers - 1].h.pointer
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
