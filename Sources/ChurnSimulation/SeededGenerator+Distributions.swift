import ChurnSupport
import Foundation

extension SeededGenerator {
    @inline(__always) mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * nextDouble()
    }

    @inline(__always) mutating func chance(_ p: Double) -> Bool { nextDouble() < p }

    /// Poisson variate (product of uniforms for small means, normal approximation above 30).
    @inline(__always) mutating func poisson(_ lambda: Double) -> Int {
        if lambda <= 0 { return 0 }
        if lambda > 30 { return max(0, Int((lambda + lambda.squareRoot() * nextGaussian()).rounded())) }
        let limit = Foundation.exp(-lambda)
        var k = 0
        var product = nextDouble()
        while product > limit {
            k += 1
            product *= nextDouble()
        }
        return k
    }

    /// Number of successes before the first failure, each with probability `p`.
    @inline(__always) mutating func geometric(_ p: Double) -> Int {
        var k = 0
        while nextDouble() < p && k < 50 { k += 1 }
        return k
    }
}
