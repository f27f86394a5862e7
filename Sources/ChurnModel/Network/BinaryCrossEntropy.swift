import Foundation

// Shapes: B = sequences in the batch.

/// Binary cross-entropy on logits, mean over the batch, with an optional positive-class weight.
///
/// Per sequence, with `w = 1 + (posWeight − 1)·y` (PyTorch's `pos_weight`):
/// `loss = (1 − y)·z + w·softplus(−z)`, where `softplus(−z) = max(−z, 0) + log(1 + exp(−|z|))` —
/// the stable form, which for `posWeight = 1` is `max(z,0) − z·y + log(1 + exp(−|z|))`.
public enum BinaryCrossEntropy {
    /// The mean loss over `logits` (B) and `labels` (B), accumulated in Double.
    public static func forward(logits: [Float], labels: [Float], posWeight: Float = 1) -> Double {
        // logits (B), labels (B) -> mean loss
        precondition(logits.count == labels.count && !logits.isEmpty)
        var total = 0.0
        for (z, y) in zip(logits, labels) {
            let z = Double(z), y = Double(y)
            let w = 1 + (Double(posWeight) - 1) * y
            total += (1 - y) * z + w * (max(-z, 0) + log1p(exp(-abs(z))))
        }
        return total / Double(logits.count)
    }

    /// `dlogits (B)`: the gradient of the mean loss with respect to each logit.
    /// - Parameter meanOver: the number of sequences the mean is over (default B): a process that
    ///   holds its share of a larger batch passes the whole batch's size.
    public static func backward(logits: [Float], labels: [Float], posWeight: Float = 1, meanOver: Int? = nil) -> [Float] {
        // logits (B), labels (B) -> dlogits (B)
        let scale = 1 / Float(meanOver ?? logits.count)
        return zip(logits, labels).map { z, y in
            let w = 1 + (posWeight - 1) * y
            let sigmoid = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
            return ((1 - y) - w * (1 - sigmoid)) * scale
        }
    }
}
