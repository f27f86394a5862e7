/// The architecture of the churn network: Embedding → LSTM (L layers) → Linear head.
///
/// Shape legend used throughout the model library:
/// V = vocabulary size, E = embedding size, F = numeric features per step, I = E + F (input of
/// layer 0), H = hidden size, L = layers, B = sequences in a batch, T = longest sequence,
/// N = total steps of a packed batch (sum of lengths).
public struct NetworkShape: Codable, Equatable, Sendable {
    public var vocabularySize: Int
    public var embeddingSize: Int
    public var numericSize: Int
    public var hiddenSize: Int
    public var numLayers: Int

    public init(vocabularySize: Int, embeddingSize: Int, numericSize: Int, hiddenSize: Int, numLayers: Int) {
        precondition(vocabularySize >= 1 && embeddingSize >= 0 && numericSize >= 0
                     && embeddingSize + numericSize >= 1 && hiddenSize >= 1 && numLayers >= 1,
                     "invalid network shape")
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.numericSize = numericSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
    }

    /// The input width of layer 0.
    public var inputSize: Int { embeddingSize + numericSize }

    /// The input width of layer `layer`: I for layer 0, H above it.
    public func inputSize(ofLayer layer: Int) -> Int { layer == 0 ? inputSize : hiddenSize }

    /// Every parameter tensor's PyTorch name and shape, in file and buffer order.
    public var parameterShapes: [(name: String, shape: [Int])] {
        let H = hiddenSize
        var shapes: [(name: String, shape: [Int])] = [("embedding.weight", [vocabularySize, embeddingSize])]
        for l in 0..<numLayers {
            shapes += [("lstm.weight_ih_l\(l)", [4 * H, inputSize(ofLayer: l)]), ("lstm.weight_hh_l\(l)", [4 * H, H]),
                       ("lstm.bias_ih_l\(l)", [4 * H]), ("lstm.bias_hh_l\(l)", [4 * H])]
        }
        return shapes + NetworkHead.parameterShapes(hiddenSize: H)
    }
}
