import Foundation

/// Scalar activations with the accuracy of the C library (PyTorch's CPU reference uses the same).
public enum Activation {
    @inlinable @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        // Both branches avoid overflow of exp for large |x|.
        if x >= 0 {
            return 1 / (1 + Foundation.exp(-x))
        }
        let e = Foundation.exp(x)
        return e / (1 + e)
    }

    @inlinable @inline(__always)
    public static func tanh(_ x: Float) -> Float { Foundation.tanh(x) }
}
