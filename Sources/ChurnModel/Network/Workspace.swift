import TensorKit

/// Every buffer of a forward and a backward pass, owned by one network and reused.
///
/// Shapes as in `NetworkShape`: N = packed rows, B = sequences, I = input of layer 0,
/// F = numeric features, H = hidden, G = 4H, L = layers. `reserveForward` and
/// `reserveBackward` size the buffers for a batch before its time loops run; they allocate
/// only when a batch is larger than any before it, so steady-state training and scoring
/// allocate nothing inside the network, and the time loops never do.
final class Workspace {
    /// What one layer's forward pass keeps for its backward pass.
    struct LayerActivations {
        /// `(N, G)` gate activations in training; `(B, G)` per-step scratch in inference.
        let gates = FloatBuffer()
        /// `(N, H)` cells, `tanh` of the cells (training only) and outputs.
        let c = FloatBuffer(), tanhC = FloatBuffer(), h = FloatBuffer()
    }

    let shape: NetworkShape

    // MARK: Forward, kept for backward

    /// `(N, I)` layer-0 input; `(N, F)` in inference with an embedding (the embedding's share
    /// then comes from the inference cache's table).
    let x0 = FloatBuffer()
    let layers: [LayerActivations]
    /// `(B, H)` the head's input: each sequence's last top hidden state, sorted order, with
    /// the dropout mask applied.
    let hLast = FloatBuffer()
    /// Dropout masks: `(N, I)` on the layer-0 input, `(B, H)` on the head's input.
    let inputMask = FloatBuffer(), headMask = FloatBuffer()

    // MARK: Forward scratch

    /// `(B)` head outputs, sorted order.
    let outputs = FloatBuffer()
    /// `(N)` event id of each packed row (inference with an embedding).
    let packedIDs = IndexBuffer()
    /// `(B, max K)` rows `[x_t | h_{t−1}]`, `(G)` bias sums and `(B)` zeros for the time loop.
    let xh = FloatBuffer(), biasSum = FloatBuffer(), zeroIndex = IndexBuffer()
    /// The kernel's zero-skipping column lists: `columnListStride` values per part.
    let columnLists = IndexBuffer()
    private(set) var columnListStride = 0

    /// Training packs `[W_ih | W_hh]` `(G, I + H)` per layer afresh on every pass.
    lazy var packedXH: [RowInvariantGEMM.PackedWeights] = (0..<shape.numLayers).map { l in
        RowInvariantGEMM.PackedWeights(n: 4 * shape.hiddenSize, k: shape.inputSize(ofLayer: l) + shape.hiddenSize)
    }
    /// Training's backward packs `W_hhᵀ` `(H, G)` per layer afresh on every pass.
    lazy var packedHHTransposed: [RowInvariantGEMM.PackedWeights] = (0..<shape.numLayers).map { _ in
        RowInvariantGEMM.PackedWeights(n: shape.hiddenSize, k: 4 * shape.hiddenSize)
    }
    /// The backward packs the first columns of `W_ihᵀ` per layer afresh on every pass, as many as
    /// the input gradient needs (replaced when that number changes).
    lazy var packedIHTransposed: [RowInvariantGEMM.PackedWeights?] = Array(repeating: nil, count: shape.numLayers)

    // MARK: Backward

    /// `(B)` gradient of the loss with respect to each head output, sorted order.
    let dout = FloatBuffer()
    /// `(B, H)` gradient of the head's input.
    let dhLast = FloatBuffer()
    /// `(N, H)` gradients of a layer's output and of the input of the layer below (swapped).
    let dhTop = FloatBuffer(), dhBelow = FloatBuffer()
    /// `(N, G)` gate gradients, `(B, H)` cell gradient.
    let dgates = FloatBuffer(), dc = FloatBuffer()
    /// `(N, dx0 columns)` gradient of the layer-0 input.
    let dx0 = FloatBuffer()
    /// `(N, W)` rows `[h_{t−1} | x_t | 1]` and `(G, W)` their product with the gate gradients,
    /// W = H + max input + 1.
    let gradientRows = FloatBuffer(), dweights = FloatBuffer()

    init(shape: NetworkShape) {
        self.shape = shape
        layers = (0..<shape.numLayers).map { _ in LayerActivations() }
    }

    /// Sizes the forward buffers for a batch of `plan`, split into `parts` time loops.
    /// - Parameters:
    ///   - training: keeps what backward needs (gates of every row, `tanh(c)`).
    ///   - x0Columns: I, or F when the embedding's share comes from a table.
    func reserveForward(plan: PackingPlan, parts: Int, training: Bool, x0Columns: Int) {
        let N = plan.totalRows, B = plan.batchCount, H = shape.hiddenSize, G = 4 * H
        x0.resize(N * x0Columns)
        for layer in layers {
            layer.gates.resize((training ? N : B) * G)
            layer.c.resize(N * H)
            layer.h.resize(N * H)
            if training { layer.tanhC.resize(N * H) }
        }
        hLast.resize(B * H)
        outputs.resize(B)
        if !training { packedIDs.resize(N) }
        let maxK = max(shape.inputSize, H) + H
        xh.resize(B * maxK)
        biasSum.resize(G)
        zeroIndex.resize(B)
        columnListStride = RowInvariantGEMM.columnListCapacity(m: B, k: maxK)
        columnLists.resize(parts * columnListStride)
    }

    /// Sizes the backward buffers for a batch of `plan` whose layer-0 input gradient has
    /// `dx0Columns` columns.
    func reserveBackward(plan: PackingPlan, dx0Columns: Int) {
        let N = plan.totalRows, B = plan.batchCount, H = shape.hiddenSize, G = 4 * H, L = shape.numLayers
        let I0 = shape.inputSize
        let W = H + (L > 1 ? max(H, I0) : I0) + 1
        dout.resize(B)
        dhLast.resize(B * H)
        dhTop.resize(N * H)
        dhBelow.resize(N * H)
        dgates.resize(N * G)
        dc.resize(B * H)
        dx0.resize(N * dx0Columns)
        gradientRows.resize(N * W)
        dweights.resize(G * W)
    }

    /// The scratch of one layer's forward time loop.
    var forwardScratch: LSTMLayer.ForwardScratch {
        .init(xh: xh.pointer, biasSum: biasSum.pointer, zeroIndex: zeroIndex.pointer,
              columnLists: columnLists.pointer, columnListStride: columnListStride)
    }
}

/// A growable buffer of `Int32` with a stable pointer between resizes; new elements are zero.
final class IndexBuffer {
    private(set) var pointer: UnsafeMutablePointer<Int32>
    private(set) var count = 0
    private var capacity: Int

    init() {
        capacity = 16
        pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
    }

    deinit { pointer.deallocate() }

    /// Sets the count, growing the allocation (contents kept, new elements zero) if needed.
    func resize(_ newCount: Int) {
        if newCount > capacity {
            let newCapacity = max(newCount, capacity + capacity / 2)
            let newPointer = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity)
            newPointer.initialize(from: pointer, count: capacity)
            (newPointer + capacity).initialize(repeating: 0, count: newCapacity - capacity)
            pointer.deallocate()
            pointer = newPointer
            capacity = newCapacity
        }
        count = newCount
    }
}
