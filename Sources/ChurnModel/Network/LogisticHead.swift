/// The churn head: one logit per sequence, `z = head.weight · h_last + head.bias`, trained with
/// binary cross-entropy on the logit.
///
/// Shapes: B = sequences, H = hidden size; `head.weight (1, H)`, `head.bias (1)`.
public struct LogisticHead: SequenceHead {
    public init() {}

    public static func parameterShapes(hiddenSize H: Int) -> [(name: String, shape: [Int])] {
        [("head.weight", [1, H]), ("head.bias", [1])]
    }

    public var outputSize: Int { 1 }

    /// `out (B)` logits from `hLast (B, H)`; each dot product runs over k in order, then adds
    /// the bias.
    public func forward(out: UnsafeMutablePointer<Float>, hLast: UnsafePointer<Float>,
                        parameters: [UnsafeMutablePointer<Float>], B: Int, H: Int) {
        // hLast (B, H), weight (1, H), bias (1) -> out (B)
        let w = parameters[0], bias = parameters[1][0]
        for j in 0..<B {
            let row = hLast + j * H
            var z: Float = 0
            for k in 0..<H { z += w[k] * row[k] }
            out[j] = z + bias
        }
    }

    /// `dweight += Σ dz·h_last`, `dbias += Σ dz`, `dhLast = dz·weight`, sequences in order.
    public func backward(dhLast: UnsafeMutablePointer<Float>, dparameters: [UnsafeMutablePointer<Float>],
                         dout: UnsafePointer<Float>, hLast: UnsafePointer<Float>,
                         parameters: [UnsafeMutablePointer<Float>], B: Int, H: Int) {
        // dout (B), hLast (B, H), weight (1, H) -> dhLast (B, H); dweight (1, H), dbias (1)
        let w = parameters[0], dw = dparameters[0], dbias = dparameters[1]
        for j in 0..<B {
            let dz = dout[j], row = hLast + j * H, d = dhLast + j * H
            for k in 0..<H {
                dw[k] += dz * row[k]
                d[k] = dz * w[k]
            }
            dbias[0] += dz
        }
    }

    public func loss(outputs: [Float], labels: [Float], positiveWeight: Float) -> Double {
        BinaryCrossEntropy.forward(logits: outputs, labels: labels, posWeight: positiveWeight)
    }

    public func lossGradient(outputs: [Float], labels: [Float], positiveWeight: Float, meanOver: Int? = nil) -> [Float] {
        BinaryCrossEntropy.backward(logits: outputs, labels: labels, posWeight: positiveWeight, meanOver: meanOver)
    }
}
