/// Named views into one flat parameter buffer, laid out as `NetworkShape.parameterShapes`.
///
/// The values and the gradients of a `ParameterSet` share the layout, so the same views name
/// a weight and its gradient, and an optimizer still runs one flat loop over the buffer.
/// Shapes as in `NetworkShape`: V, E, I (input of the layer), H.
public struct ParameterViews {
    /// `embedding.weight (V, E)`.
    public let embedding: UnsafeMutablePointer<Float>
    /// One LSTM layer's tensors per layer, bottom first.
    public let layers: [LayerParameters]
    /// The head's tensors in the order of `NetworkHead.parameterShapes`
    /// (`head.weight (1, H)`, `head.bias (1)` for `LogisticHead`).
    public let head: [UnsafeMutablePointer<Float>]

    /// Views of `buffer` at the offsets of the tensors named by `shape.parameterShapes`.
    init(shape: NetworkShape, buffer: UnsafeMutablePointer<Float>, offsets: [String: Int]) {
        func view(_ name: String) -> UnsafeMutablePointer<Float> {
            guard let offset = offsets[name] else { preconditionFailure("no parameter \(name)") }
            return buffer + offset
        }
        embedding = view("embedding.weight")
        layers = (0..<shape.numLayers).map { l in
            LayerParameters(weightIH: view("lstm.weight_ih_l\(l)"), weightHH: view("lstm.weight_hh_l\(l)"),
                            biasIH: view("lstm.bias_ih_l\(l)"), biasHH: view("lstm.bias_hh_l\(l)"))
        }
        head = NetworkHead.parameterShapes(hiddenSize: shape.hiddenSize).map { view($0.name) }
    }
}

/// The tensors of one `nn.LSTM` layer, gates ordered i, f, g, o: `weightIH (4H, I)`,
/// `weightHH (4H, H)`, `biasIH (4H)`, `biasHH (4H)`.
public struct LayerParameters {
    public let weightIH: UnsafeMutablePointer<Float>
    public let weightHH: UnsafeMutablePointer<Float>
    public let biasIH: UnsafeMutablePointer<Float>
    public let biasHH: UnsafeMutablePointer<Float>
}
