/// What the network puts on each sequence's last top hidden state: a forward and backward pass
/// over those states, and the loss that trains the outputs.
///
/// Shapes: B = sequences, H = hidden size, O = `outputSize` outputs per sequence. Rows of
/// `hLast` and `out` are in the same (any) order of sequences. Another head (time to churn,
/// say) is one conforming type: its parameters, its pair of passes and its loss; `NetworkHead`
/// names the one the network uses.
public protocol SequenceHead {
    /// The head's parameter tensors, PyTorch names and shapes, in file and buffer order.
    static func parameterShapes(hiddenSize H: Int) -> [(name: String, shape: [Int])]

    /// Outputs per sequence.
    var outputSize: Int { get }

    /// Writes `out (B, O)` from `hLast (B, H)`.
    /// - Parameters:
    ///   - parameters: the head's tensors in the order of `parameterShapes`.
    func forward(out: UnsafeMutablePointer<Float>, hLast: UnsafePointer<Float>,
                 parameters: [UnsafeMutablePointer<Float>], B: Int, H: Int)

    /// Writes `dhLast (B, H)` and accumulates (`+=`) into the parameter gradients, from the
    /// gradient `dout (B, O)` of the loss with respect to the outputs.
    /// - Parameters:
    ///   - dparameters: gradients of the head's tensors, in the order of `parameterShapes`.
    ///   - hLast: the input of the forward pass.
    func backward(dhLast: UnsafeMutablePointer<Float>, dparameters: [UnsafeMutablePointer<Float>],
                  dout: UnsafePointer<Float>, hLast: UnsafePointer<Float>,
                  parameters: [UnsafeMutablePointer<Float>], B: Int, H: Int)

    /// The mean loss of `outputs (B, O)` against `labels (B)`, positive labels weighted by
    /// `positiveWeight`, accumulated in Double.
    func loss(outputs: [Float], labels: [Float], positiveWeight: Float) -> Double

    /// `dout (B, O)`: the gradient of `loss` with respect to each output; the mean is over
    /// `meanOver` sequences when given (a process's share of a larger batch), else over B.
    func lossGradient(outputs: [Float], labels: [Float], positiveWeight: Float, meanOver: Int?) -> [Float]
}

/// The head of `ChurnNetwork`, whose parameters `NetworkShape.parameterShapes` lists last.
public typealias NetworkHead = LogisticHead
