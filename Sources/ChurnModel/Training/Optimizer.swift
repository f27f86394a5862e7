import Foundation
import TensorKit

/// Adam and AdamW over a flat parameter buffer, with PyTorch's exact update rule.
///
/// Per element: `m = β1·m + (1−β1)·g`, `v = β2·v + (1−β2)·g²`,
/// `p −= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)`. AdamW first decays `p *= 1 − lr·weightDecay`
/// (decoupled); Adam with `weightDecay` adds `weightDecay·p` to the gradient (L2), as PyTorch does.
public struct AdamOptimizer: Sendable {
    public enum Variant: String, Codable, Sendable { case adam, adamW }

    public var variant: Variant
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    /// Completed steps (t in the bias corrections).
    public private(set) var step: Int = 0
    public private(set) var firstMoment: [Float]
    public private(set) var secondMoment: [Float]

    public init(parameterCount: Int, variant: Variant = .adam, learningRate: Float = 1e-3,
                beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.variant = variant
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        firstMoment = [Float](repeating: 0, count: parameterCount)
        secondMoment = [Float](repeating: 0, count: parameterCount)
    }

    /// Restores the moments and step count of a checkpoint.
    public mutating func restore(step: Int, firstMoment: [Float], secondMoment: [Float]) {
        precondition(firstMoment.count == self.firstMoment.count && secondMoment.count == self.secondMoment.count)
        self.step = step
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
    }

    /// Runs `body` on the first and second moments in place.
    public mutating func withMoments(_ body: (UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void) {
        firstMoment.withUnsafeMutableBufferPointer { m in secondMoment.withUnsafeMutableBufferPointer { v in body(m, v) } }
    }

    /// One update of `parameters.values` from `parameters.gradients`; a network's parameters
    /// are updated inside `ChurnNetwork.updateParameters`.
    /// - Complexity: O(P), one pass over the flat buffers.
    public mutating func update(_ parameters: ParameterSet) {
        let count = parameters.values.count
        precondition(count == firstMoment.count, "optimizer built for another parameter count")
        step += 1
        let b1 = beta1, b2 = beta2, eps = epsilon, lr = learningRate
        let biasCorrection1 = 1 - Float(pow(Double(b1), Double(step)))
        let biasCorrection2Sqrt = Float(pow(1 - pow(Double(b2), Double(step)), 0.5))
        let stepSize = lr / biasCorrection1
        let decay: Float = variant == .adamW ? 1 - lr * weightDecay : 1
        let l2: Float = variant == .adam ? weightDecay : 0
        let p = parameters.values.pointer, g = parameters.gradients.pointer
        firstMoment.withUnsafeMutableBufferPointer { m in
            secondMoment.withUnsafeMutableBufferPointer { v in
                for i in 0..<count {
                    var grad = g[i]
                    if l2 != 0 { grad += l2 * p[i] }
                    if decay != 1 { p[i] *= decay }
                    m[i] = b1 * m[i] + (1 - b1) * grad
                    v[i] = b2 * v[i] + (1 - b2) * grad * grad
                    let denominator = v[i].squareRoot() / biasCorrection2Sqrt + eps
                    p[i] -= stepSize * m[i] / denominator
                }
            }
        }
    }
}

/// Global gradient-norm clipping, as `torch.nn.utils.clip_grad_norm_`.
public enum GradientClipping {
    /// Scales all gradients by `maxNorm / (norm + 1e−6)` when that is below 1.
    /// - Returns: the global L2 norm before clipping (accumulated in Double).
    @discardableResult
    public static func clip(_ parameters: ParameterSet, maxNorm: Float) -> Float {
        let g = parameters.gradients.pointer
        var sum = 0.0
        for i in 0..<parameters.gradients.count { sum += Double(g[i]) * Double(g[i]) }
        let norm = Float(sum.squareRoot())
        let coefficient = maxNorm / (norm + 1e-6)
        if coefficient < 1 {
            for i in 0..<parameters.gradients.count { g[i] *= coefficient }
        }
        return norm
    }
}
