import Evaluation
import Foundation

/// L2-regularized binary logistic regression on internally standardized features.
///
/// Fitting minimizes scikit-learn's objective for `LogisticRegression(C:)`:
/// Σᵢ sᵢ·logloss(yᵢ, σ(w·zᵢ + b)) + ‖w‖² / (2C), the intercept b unpenalized, where zᵢ are the
/// features standardized with the training means and population standard deviations (a constant
/// feature gets std 1). The weights therefore live in standardized units: they equal scikit-learn's
/// `coef_` when it is fitted on the same standardized matrix. Newton's method with the exact
/// Hessian (Cholesky) and a backtracking line search converges in a handful of iterations.
///
/// The struct is `Codable` (snake_case keys) so it can be stored in a model file's JSON config.
/// Shape legend: n = rows, p = features.
public struct LogisticRegression: Codable, Equatable, Sendable {
    /// Names of the features, in column order.
    public var featureNames: [String]
    /// Training means and standard deviations used to standardize each feature (p).
    public var means: [Double]
    public var stds: [Double]
    /// Coefficients on the standardized features (p) and the intercept.
    public var weights: [Double]
    public var intercept: Double
    /// Inverse regularization strength, as scikit-learn's `C`.
    public var c: Double

    enum CodingKeys: String, CodingKey {
        case featureNames = "feature_names", means, stds, weights, intercept, c = "C"
    }

    /// Creates a model from stored parameters.
    public init(featureNames: [String], means: [Double], stds: [Double], weights: [Double], intercept: Double, c: Double) {
        self.featureNames = featureNames
        self.means = means
        self.stds = stds
        self.weights = weights
        self.intercept = intercept
        self.c = c
    }

    /// Fits the model by Newton's method.
    /// - Parameters:
    ///   - features: One row of p raw feature values per customer (n × p).
    ///   - labels: `true` for positives (n).
    ///   - featureNames: p names, stored with the model.
    ///   - c: Inverse L2 strength, > 0 (default 1.0 as in scikit-learn).
    ///   - sampleWeights: Optional nonnegative weight per row (e.g. class weighting).
    ///   - maxIterations: Newton iteration budget (default 100).
    ///   - tolerance: Stop when the largest gradient component, divided by the total sample weight,
    ///     falls below this (default 1e-10).
    /// - Throws: `EvaluationError` for empty, ragged or non-finite input, a single class, bad
    ///   parameters, or no convergence.
    /// - Complexity: O(n · p²) per iteration.
    public static func fit(features: [[Double]], labels: [Bool], featureNames: [String], c: Double = 1.0,
                           sampleWeights: [Double]? = nil, maxIterations: Int = 100,
                           tolerance: Double = 1e-10) throws -> LogisticRegression {
        let n = features.count
        guard n > 0 else { throw EvaluationError.emptyInput }
        guard labels.count == n else { throw EvaluationError.lengthMismatch(expected: n, actual: labels.count) }
        let positives = labels.lazy.filter { $0 }.count
        guard positives > 0, positives < n else { throw EvaluationError.singleClass(positives: positives, count: n) }
        let p = featureNames.count
        guard c > 0, c.isFinite else { throw EvaluationError.invalidParameter("C must be positive, got \(c)") }
        let s = sampleWeights ?? [Double](repeating: 1, count: n)
        guard s.count == n else { throw EvaluationError.lengthMismatch(expected: n, actual: s.count) }
        if let i = s.firstIndex(where: { !($0 >= 0 && $0.isFinite) }) {
            throw EvaluationError.invalidParameter("sample weight at index \(i) must be finite and nonnegative")
        }
        // Standardize: x (n, p) row-major.
        var x = [Double](repeating: 0, count: n * p)
        var means = [Double](repeating: 0, count: p)
        for (i, row) in features.enumerated() {
            guard row.count == p else { throw EvaluationError.featureCountMismatch(expected: p, actual: row.count) }
            for j in 0..<p {
                guard row[j].isFinite else { throw EvaluationError.nonFiniteValue(index: i * p + j) }
                x[i * p + j] = row[j]
                means[j] += row[j]
            }
        }
        for j in 0..<p { means[j] /= Double(n) }
        var stds = [Double](repeating: 0, count: p)
        for i in 0..<n { for j in 0..<p { let d = x[i * p + j] - means[j]; stds[j] += d * d } }
        for j in 0..<p {
            let sd = (stds[j] / Double(n)).squareRoot()
            stds[j] = sd > 0 ? sd : 1
        }
        for i in 0..<n { for j in 0..<p { x[i * p + j] = (x[i * p + j] - means[j]) / stds[j] } }

        let y = labels.map { $0 ? 1.0 : 0.0 }
        let totalWeight = max(s.reduce(0, +), .leastNormalMagnitude)
        // θ = (w₀ … w_{p−1}, b); D = p + 1.
        let D = p + 1
        var theta = [Double](repeating: 0, count: D)
        var objective = Self.objective(theta, x: x, y: y, s: s, n: n, p: p, c: c)
        for iteration in 0..<maxIterations {
            // Gradient and Hessian.
            var gradient = [Double](repeating: 0, count: D)
            var hessian = [Double](repeating: 0, count: D * D)
            for i in 0..<n {
                var z = theta[p]
                for j in 0..<p { z += theta[j] * x[i * p + j] }
                let sigma = Self.sigmoid(z)
                let r = s[i] * (sigma - y[i])
                let h = s[i] * sigma * (1 - sigma)
                for j in 0..<D {
                    let xj = j < p ? x[i * p + j] : 1
                    gradient[j] += r * xj
                    for k in 0...j {
                        let xk = k < p ? x[i * p + k] : 1
                        hessian[j * D + k] += h * xj * xk
                    }
                }
            }
            for j in 0..<p {
                gradient[j] += theta[j] / c
                hessian[j * D + j] += 1 / c
            }
            for j in 0..<D { for k in 0..<j { hessian[k * D + j] = hessian[j * D + k] } }
            let gradientNorm = gradient.map(abs).max() ?? 0
            if gradientNorm / totalWeight < tolerance { break }
            guard let step = Self.choleskySolve(hessian, gradient, D) else {
                throw EvaluationError.didNotConverge(iterations: iteration, gradientNorm: gradientNorm)
            }
            let decrement = zip(gradient, step).reduce(0) { $0 + $1.0 * $1.1 }  // gᵀH⁻¹g
            if decrement <= 1e-14 * max(1, abs(objective)) {
                // Inside the quadratic region, below what the objective can resolve: a full Newton
                // step lands on the optimum to rounding accuracy.
                for j in 0..<D { theta[j] -= step[j] }
                break
            }
            // Backtracking line search on the objective (Armijo, strict decrease).
            var t = 1.0
            var accepted = false
            for _ in 0..<40 {
                let candidate = (0..<D).map { theta[$0] - t * step[$0] }
                let value = Self.objective(candidate, x: x, y: y, s: s, n: n, p: p, c: c)
                if value <= objective - 1e-4 * t * decrement && value < objective {
                    theta = candidate
                    objective = value
                    accepted = true
                    break
                }
                t /= 2
            }
            if !accepted {
                throw EvaluationError.didNotConverge(iterations: iteration, gradientNorm: gradientNorm)
            }
            if iteration == maxIterations - 1 {
                throw EvaluationError.didNotConverge(iterations: maxIterations, gradientNorm: gradientNorm)
            }
        }
        return LogisticRegression(featureNames: featureNames, means: means, stds: stds,
                                  weights: Array(theta[0..<p]), intercept: theta[p], c: c)
    }

    /// Sample weights that balance the classes as scikit-learn's `class_weight="balanced"`:
    /// n / (2 · n_class) for each row of that class.
    /// - Parameter labels: `true` for positives.
    /// - Returns: One weight per row (all 1 when a class is absent).
    /// - Complexity: O(n).
    public static func balancedWeights(labels: [Bool]) -> [Double] {
        let n = Double(labels.count)
        let positives = Double(labels.lazy.filter { $0 }.count)
        guard positives > 0, positives < n else { return [Double](repeating: 1, count: labels.count) }
        let wPositive = n / (2 * positives), wNegative = n / (2 * (n - positives))
        return labels.map { $0 ? wPositive : wNegative }
    }

    /// The churn probability for one customer's raw (unstandardized) features.
    /// - Parameter features: p raw feature values in `featureNames` order.
    /// - Throws: `EvaluationError.featureCountMismatch` or `.nonFiniteValue`.
    /// - Complexity: O(p).
    public func predictProbability(features: [Double]) throws -> Double {
        guard features.count == weights.count else {
            throw EvaluationError.featureCountMismatch(expected: weights.count, actual: features.count)
        }
        var z = intercept
        for j in 0..<weights.count {
            guard features[j].isFinite else { throw EvaluationError.nonFiniteValue(index: j) }
            z += weights[j] * (features[j] - means[j]) / stds[j]
        }
        return Self.sigmoid(z)
    }

    /// Churn probabilities for many customers.
    /// - Parameter features: One row of p raw values per customer.
    /// - Throws: As `predictProbability(features:)`.
    /// - Complexity: O(n · p).
    public func predictProbabilities(features: [[Double]]) throws -> [Double] {
        try features.map { try predictProbability(features: $0) }
    }

    /// The coefficients and intercept on the raw feature scale (for reading the model).
    public var rawCoefficients: (weights: [Double], intercept: Double) {
        let w = (0..<weights.count).map { weights[$0] / stds[$0] }
        let b = intercept - (0..<weights.count).reduce(0) { $0 + w[$1] * means[$1] }
        return (w, b)
    }

    // MARK: - Internals

    @inline(__always)
    static func sigmoid(_ z: Double) -> Double {
        z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
    }

    /// Σ sᵢ (softplus(zᵢ) − yᵢ zᵢ) + ‖w‖² / (2C), with softplus in the stable form.
    static func objective(_ theta: [Double], x: [Double], y: [Double], s: [Double], n: Int, p: Int, c: Double) -> Double {
        var total = 0.0
        for i in 0..<n {
            var z = theta[p]
            for j in 0..<p { z += theta[j] * x[i * p + j] }
            total += s[i] * (max(z, 0) + log1p(exp(-abs(z))) - y[i] * z)
        }
        var norm = 0.0
        for j in 0..<p { norm += theta[j] * theta[j] }
        return total + norm / (2 * c)
    }

    /// Solves A x = b for a symmetric positive definite A (D × D, row-major); nil if not SPD.
    static func choleskySolve(_ a: [Double], _ b: [Double], _ D: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: D * D)
        for i in 0..<D {
            for j in 0...i {
                var sum = a[i * D + j]
                for k in 0..<j { sum -= l[i * D + k] * l[j * D + k] }
                if i == j {
                    guard sum > 0 else { return nil }
                    l[i * D + i] = sum.squareRoot()
                } else {
                    l[i * D + j] = sum / l[j * D + j]
                }
            }
        }
        var z = b
        for i in 0..<D {
            for k in 0..<i { z[i] -= l[i * D + k] * z[k] }
            z[i] /= l[i * D + i]
        }
        for i in stride(from: D - 1, through: 0, by: -1) {
            for k in (i + 1)..<D { z[i] -= l[k * D + i] * z[k] }
            z[i] /= l[i * D + i]
        }
        return z
    }
}
