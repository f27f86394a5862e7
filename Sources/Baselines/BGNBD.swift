import Evaluation
import Foundation

/// One customer's purchase history in the form BG/NBD needs.
///
/// Times are in any one unit used consistently for every customer and for the forecast horizon
/// (the evaluation pipeline uses days; lifetimes' CDNOW sample uses weeks). The fitted `alpha`
/// is in that unit.
public struct BGNBDCustomer: Codable, Equatable, Sendable {
    /// x: number of repeat transactions (transactions after the first).
    public var frequency: Int
    /// t_x: time from the first to the last transaction (0 when x = 0).
    public var recency: Double
    /// T: time from the first transaction to the end of the observation window (the cutoff).
    public var age: Double

    public init(frequency: Int, recency: Double, age: Double) {
        self.frequency = frequency
        self.recency = recency
        self.age = age
    }

    /// Summarizes one customer's transaction times as lifetimes' `summary_data_from_transaction_data`.
    ///
    /// Times are floored to whole periods (default 1: with times in days, several events on one day
    /// are one transaction); x = distinct periods − 1, t_x = last − first period, T = cutoff period −
    /// first period, all in periods. Events at or after the cutoff are ignored (history is
    /// `time < cutoff`; lifetimes would also keep events on the end date itself).
    /// - Parameters:
    ///   - eventTimes: Transaction times in any order, in the time unit (e.g. days since an epoch).
    ///   - cutoff: End of the observation window, in the same unit.
    ///   - period: Length of one period in the same unit (default 1).
    /// - Returns: nil when the customer has no transaction before the cutoff (BG/NBD cannot score
    ///   a customer before the first purchase; the caller decides how to rank them).
    /// - Complexity: O(k log k) for k events.
    public init?(eventTimes: [Double], cutoff: Double, period: Double = 1) {
        let periods = Set(eventTimes.lazy.filter { $0 < cutoff && $0.isFinite }.map { ($0 / period).rounded(.down) })
        guard let first = periods.min(), let last = periods.max() else { return nil }
        self.init(frequency: periods.count - 1, recency: last - first,
                  age: (cutoff / period).rounded(.down) - first)
    }
}

/// The BG/NBD model of Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way".
///
/// While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each purchase
/// the customer drops out with probability p ~ Beta(a, b). Parameters are fitted by maximum
/// likelihood; the model needs no churn labels.
///
/// **Churn score.** The score is the probability of *no* transaction within the horizon t after
/// the cutoff, given the history:
///
///     P(no purchase in (T, T+t] | x, t_x, T) = 1 − P(alive)·(1 − ((α+T)/(α+T+t))^(r+x))
///
/// (a dead customer never buys; a living one has posterior λ ~ Gamma(r+x, α+T), and dropping out
/// only happens right after a purchase, so the first future purchase decides). The fixture script
/// checks this closed form against a Monte Carlo simulation.
///
/// **Known flaw.** Under the basic model a customer with x = 0 repeat purchases cannot have dropped
/// out (dropout happens only after a repeat purchase), so P(alive) = 1 for every one-time customer
/// regardless of how long ago they bought. Scoring by P(alive) would call all of them certainly
/// active; the horizon forecast instead falls with the time since the first purchase through
/// ((α+T)/(α+T+t))^r, so one-time customers are still ranked sensibly.
public struct BGNBDModel: Codable, Equatable, Sendable {
    /// Shape and scale (in the time unit) of the purchase-rate Gamma distribution.
    public var r: Double
    public var alpha: Double
    /// Shapes of the dropout-probability Beta distribution.
    public var a: Double
    public var b: Double

    public init(r: Double, alpha: Double, a: Double, b: Double) {
        self.r = r
        self.alpha = alpha
        self.a = a
        self.b = b
    }

    /// Fits (r, α, a, b) by maximum likelihood, as lifetimes' `BetaGeoFitter`.
    ///
    /// Follows lifetimes 0.11 exactly: times are rescaled so that the largest age is 1, the
    /// objective is the mean negative log-likelihood plus `penalizer · (r² + α_scaled² + a² + b²)`,
    /// minimized over log-parameters from log-parameters 0.1 (here by BFGS with the analytic
    /// gradient and a backtracking line search). The log-likelihood uses lgamma and the log-sum-exp
    /// form of its second term (section 7 of the paper; Hardie's note 004).
    /// - Parameters:
    ///   - customers: Histories, at least one with x > 0 for a meaningful fit.
    ///   - penalizer: L2 penalty coefficient, lifetimes' `penalizer_coef` (default 0).
    ///   - maxIterations: BFGS iteration budget (default 500).
    ///   - gradientTolerance: Stop when the largest gradient component is below this (default 1e-9).
    /// - Throws: `EvaluationError.invalidHistory`, `.emptyInput`, `.invalidParameter`, `.didNotConverge`
    ///   (when the likelihood has no finite maximum, e.g. degenerate histories: a penalizer of
    ///   0.001–0.1 then helps, as in lifetimes).
    /// - Complexity: O(n) to merge identical histories, then O(u + max x) per objective evaluation for
    ///   u distinct histories; lgamma and digamma are tabulated per x.
    public static func fit(_ customers: [BGNBDCustomer], penalizer: Double = 0, maxIterations: Int = 500,
                           gradientTolerance: Double = 1e-9) throws -> BGNBDModel {
        try validate(customers)
        guard penalizer >= 0, penalizer.isFinite else {
            throw EvaluationError.invalidParameter("penalizer must be nonnegative, got \(penalizer)")
        }
        let maxAge = customers.map(\.age).max() ?? 0
        guard maxAge > 0 else { throw EvaluationError.invalidParameter("every customer has age 0: nothing to fit") }
        let scale = 1 / maxAge
        let data = LikelihoodData(customers, scale: scale)
        let result = try minimizeBFGS(start: [0.1, 0.1, 0.1, 0.1], maxIterations: maxIterations,
                                      gradientTolerance: gradientTolerance) { logParameters in
            data.objective(logParameters: logParameters, penalizer: penalizer)
        }
        let p = result.map { exp($0) }
        return BGNBDModel(r: p[0], alpha: p[1] / scale, a: p[2], b: p[3])
    }

    /// The mean negative log-likelihood of the histories under these parameters (no penalty).
    /// - Complexity: O(n).
    public func meanNegativeLogLikelihood(_ customers: [BGNBDCustomer]) throws -> Double {
        try Self.validate(customers)
        let data = LikelihoodData(customers, scale: 1)
        return data.objective(logParameters: [log(r), log(alpha), log(a), log(b)], penalizer: 0).value
    }

    /// P(alive at T | x, t_x, T); exactly 1 when x = 0 (the model's known flaw, see the type).
    /// - Complexity: O(1).
    public func probabilityAlive(_ c: BGNBDCustomer) -> Double {
        guard c.frequency > 0 else { return 1 }
        let x = Double(c.frequency)
        let logRatio = (r + x) * log((alpha + c.age) / (alpha + c.recency)) + log(a / (b + x - 1))
        return 1 / (1 + exp(logRatio))
    }

    /// P(no transaction in (T, T + horizon] | x, t_x, T): the churn score.
    /// - Parameters:
    ///   - horizon: Forecast length t in the model's time unit.
    ///   - c: The customer's history at the cutoff.
    /// - Complexity: O(1).
    public func probabilityOfNoPurchase(within horizon: Double, given c: BGNBDCustomer) -> Double {
        let x = Double(c.frequency)
        let survive = exp((r + x) * log((alpha + c.age) / (alpha + c.age + horizon)))
        return 1 - probabilityAlive(c) * (1 - survive)
    }

    /// Churn scores (probability of no transaction within `horizon`) for many customers.
    /// - Parameters:
    ///   - customers: Histories at the cutoff.
    ///   - horizon: Forecast length in the model's time unit, > 0.
    /// - Throws: `EvaluationError.invalidHistory` or `.invalidParameter`.
    /// - Complexity: O(n).
    public func churnScores(_ customers: [BGNBDCustomer], horizon: Double) throws -> [Double] {
        guard horizon > 0, horizon.isFinite else { throw EvaluationError.invalidParameter("horizon must be positive, got \(horizon)") }
        try Self.validate(customers)
        return customers.map { probabilityOfNoPurchase(within: horizon, given: $0) }
    }

    /// E[transactions in (T, T + t] | x, t_x, T], lifetimes' `conditional_expected_number_of_purchases_up_to_time`.
    ///
    /// Uses the Gauss hypergeometric series ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t)), which converges
    /// for every finite t. Requires a ≠ 1.
    /// - Complexity: O(terms of the series), typically under a few hundred.
    public func expectedPurchases(within t: Double, given c: BGNBDCustomer) -> Double {
        let x = Double(c.frequency)
        let z = t / (alpha + c.age + t)
        let hyp = Self.hypergeometric2F1(r + x, b + x, a + b + x - 1, z)
        let first = (a + b + x - 1) / (a - 1)
        let second = 1 - hyp * exp((r + x) * log((alpha + c.age) / (alpha + t + c.age)))
        let denominator = 1 + (c.frequency > 0 ? a / (b + x - 1) * exp((r + x) * log((alpha + c.age) / (alpha + c.recency))) : 0)
        return first * second / denominator
    }

    // MARK: - Internals

    static func validate(_ customers: [BGNBDCustomer]) throws {
        guard !customers.isEmpty else { throw EvaluationError.emptyInput }
        for (i, c) in customers.enumerated() {
            guard c.frequency >= 0 else { throw EvaluationError.invalidHistory(index: i, reason: "negative frequency") }
            guard c.age.isFinite, c.age >= 0 else { throw EvaluationError.invalidHistory(index: i, reason: "age must be nonnegative") }
            guard c.recency.isFinite, c.recency >= 0, c.recency <= c.age else {
                throw EvaluationError.invalidHistory(index: i, reason: "recency must lie in [0, age]")
            }
            if c.frequency == 0 && c.recency != 0 {
                throw EvaluationError.invalidHistory(index: i, reason: "recency must be 0 when frequency is 0")
            }
        }
    }

    /// ₂F₁(a, b; c; z) for 0 ≤ z < 1 by its power series.
    static func hypergeometric2F1(_ a: Double, _ b: Double, _ c: Double, _ z: Double) -> Double {
        var term = 1.0, sum = 1.0
        for k in 0..<100_000 {
            let k = Double(k)
            term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
            sum += term
            if abs(term) < 1e-16 * abs(sum) { break }
        }
        return sum
    }
}

/// The histories in scaled time, identical histories merged with a weight, and per-frequency
/// tables, for fast likelihood evaluation (lifetimes' `weights` argument does the same merge).
struct LikelihoodData {
    /// Distinct histories (u ≤ n) and how many customers share each.
    let frequency: [Int]
    let recency: [Double]
    let age: [Double]
    let weight: [Double]
    /// Customers per frequency value (max x + 1).
    let countPerFrequency: [Double]
    /// Total number of customers n.
    let total: Double

    init(_ customers: [BGNBDCustomer], scale: Double) {
        struct Key: Hashable { let x: Int; let tx: Double; let age: Double }
        var index: [Key: Int] = [:]
        var frequency: [Int] = [], recency: [Double] = [], age: [Double] = [], weight: [Double] = []
        var counts = [Double](repeating: 0, count: (customers.map(\.frequency).max() ?? 0) + 1)
        for c in customers {
            counts[c.frequency] += 1
            let key = Key(x: c.frequency, tx: c.recency, age: c.age)
            if let i = index[key] {
                weight[i] += 1
            } else {
                index[key] = frequency.count
                frequency.append(c.frequency)
                recency.append(c.recency * scale)
                age.append(c.age * scale)
                weight.append(1)
            }
        }
        self.frequency = frequency
        self.recency = recency
        self.age = age
        self.weight = weight
        countPerFrequency = counts
        total = Double(customers.count)
    }

    /// Mean negative log-likelihood plus penalty, and its gradient with respect to the log-parameters.
    func objective(logParameters: [Double], penalizer: Double) -> (value: Double, gradient: [Double]) {
        let r = exp(logParameters[0]), alpha = exp(logParameters[1])
        let a = exp(logParameters[2]), b = exp(logParameters[3])
        guard r.isFinite, alpha.isFinite, a.isFinite, b.isFinite, r > 0, alpha > 0, a > 0, b > 0 else {
            return (.infinity, [0, 0, 0, 0])
        }
        // Terms that depend on x only: A₁ + A₂ summed over customers with that x.
        var ll = 0.0
        var dr = 0.0, dalpha = 0.0, da = 0.0, db = 0.0
        let lgR = logGamma(r), lgB = logGamma(b), lgAB = logGamma(a + b)
        let psiR = digamma(r), psiB = digamma(b), psiAB = digamma(a + b)
        let logAlpha = log(alpha)
        var logA4Constant = [Double](repeating: 0, count: countPerFrequency.count)
        for x in 0..<countPerFrequency.count {
            let xd = Double(x)
            logA4Constant[x] = log(a) - log(b + max(xd, 1) - 1)
            let m = countPerFrequency[x]
            guard m > 0 else { continue }
            let a1 = logGamma(r + xd) - lgR + r * logAlpha
            let a2 = lgAB + logGamma(b + xd) - lgB - logGamma(a + b + xd)
            ll += m * (a1 + a2)
            let psiABX = digamma(a + b + xd)
            dr += m * (digamma(r + xd) - psiR + logAlpha)
            dalpha += m * r / alpha
            da += m * (psiAB - psiABX)
            db += m * (psiAB + digamma(b + xd) - psiB - psiABX)
        }
        // Per distinct history: log-sum-exp of A₃ and A₄, times the number of customers sharing it.
        for i in 0..<frequency.count {
            let x = frequency[i]
            let w = weight[i]
            let rx = r + Double(x)
            let logAgeTerm = log(alpha + age[i])
            let a3 = -rx * logAgeTerm
            if x == 0 {
                ll += w * a3
                dr -= w * logAgeTerm
                dalpha -= w * rx / (alpha + age[i])
                continue
            }
            let logRecencyTerm = log(alpha + recency[i])
            let a4 = logA4Constant[x] - rx * logRecencyTerm
            let m = max(a3, a4)
            let lse = m + log(exp(a3 - m) + exp(a4 - m))
            let w3 = w * exp(a3 - lse), w4 = w * exp(a4 - lse)
            ll += w * lse
            dr -= w3 * logAgeTerm + w4 * logRecencyTerm
            dalpha -= w3 * rx / (alpha + age[i]) + w4 * rx / (alpha + recency[i])
            da += w4 / a
            db -= w4 / (b + Double(x) - 1)
        }
        let n = total
        let value = -ll / n + penalizer * (r * r + alpha * alpha + a * a + b * b)
        // Chain rule to log-parameters: ∂/∂log θ = θ · ∂/∂θ.
        let gradient = [
            -dr / n * r + 2 * penalizer * r * r,
            -dalpha / n * alpha + 2 * penalizer * alpha * alpha,
            -da / n * a + 2 * penalizer * a * a,
            -db / n * b + 2 * penalizer * b * b,
        ]
        return (value.isFinite ? value : .infinity, gradient)
    }
}

/// log Γ(x) for x > 0 (the C library's lgamma).
@inline(__always) func logGamma(_ x: Double) -> Double {
    var sign: Int32 = 0
    return lgamma_r(x, &sign)
}

/// ψ(x), the digamma function, for x > 0: recurrence up to x ≥ 10, then the asymptotic series.
func digamma(_ x: Double) -> Double {
    var x = x
    var result = 0.0
    while x < 10 {
        result -= 1 / x
        x += 1
    }
    let f = 1 / (x * x)
    result += log(x) - 0.5 / x
        - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))))
    return result
}

/// Minimizes a smooth function by BFGS with a backtracking (Armijo) line search.
///
/// - Parameters:
///   - start: Starting point.
///   - maxIterations: Iteration budget.
///   - gradientTolerance: Converged when max |gradient| falls below this.
///   - f: Value and gradient; `.infinity` marks points outside the domain.
/// - Throws: `EvaluationError.didNotConverge`.
func minimizeBFGS(start: [Double], maxIterations: Int, gradientTolerance: Double,
                  _ f: ([Double]) -> (value: Double, gradient: [Double])) throws -> [Double] {
    let d = start.count
    var x = start
    var (value, gradient) = f(x)
    guard value.isFinite else { throw EvaluationError.invalidParameter("objective is not finite at the start") }
    // Inverse Hessian approximation, row-major d × d.
    var h = [Double](repeating: 0, count: d * d)
    for i in 0..<d { h[i * d + i] = 1 }
    var firstStep = true
    for iteration in 0..<maxIterations {
        let gradientNorm = gradient.map(abs).max() ?? 0
        if gradientNorm < gradientTolerance { return x }
        var direction = [Double](repeating: 0, count: d)
        for i in 0..<d { for j in 0..<d { direction[i] -= h[i * d + j] * gradient[j] } }
        var slope = zip(direction, gradient).reduce(0) { $0 + $1.0 * $1.1 }
        if slope >= 0 {
            // Not a descent direction: reset to steepest descent.
            for i in 0..<d { for j in 0..<d { h[i * d + j] = i == j ? 1 : 0 } }
            direction = gradient.map { -$0 }
            slope = -zip(gradient, gradient).reduce(0) { $0 + $1.0 * $1.1 }
        }
        var t = 1.0
        var next: (x: [Double], value: Double, gradient: [Double])?
        for _ in 0..<60 {
            let candidate = (0..<d).map { x[$0] + t * direction[$0] }
            let (v, g) = f(candidate)
            if v.isFinite && v <= value + 1e-4 * t * slope && v < value {
                next = (candidate, v, g)
                break
            }
            t /= 2
        }
        guard let accepted = next else {
            // No representable decrease left: the point is as good as floating point allows.
            if gradientNorm < gradientTolerance * 1e4 { return x }
            throw EvaluationError.didNotConverge(iterations: iteration, gradientNorm: gradientNorm)
        }
        let s = (0..<d).map { accepted.x[$0] - x[$0] }
        let y = (0..<d).map { accepted.gradient[$0] - gradient[$0] }
        let sy = zip(s, y).reduce(0) { $0 + $1.0 * $1.1 }
        if sy > 1e-16 {
            if firstStep {
                // Scale the initial inverse Hessian (Nocedal & Wright 6.20).
                let yy = y.reduce(0) { $0 + $1 * $1 }
                for i in 0..<d { for j in 0..<d { h[i * d + j] = i == j ? sy / yy : 0 } }
                firstStep = false
            }
            // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ.
            let rho = 1 / sy
            var hy = [Double](repeating: 0, count: d)
            for i in 0..<d { for j in 0..<d { hy[i] += h[i * d + j] * y[j] } }
            let yhy = zip(y, hy).reduce(0) { $0 + $1.0 * $1.1 }
            for i in 0..<d {
                for j in 0..<d {
                    h[i * d + j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j]
                }
            }
        }
        x = accepted.x
        value = accepted.value
        gradient = accepted.gradient
    }
    let gradientNorm = gradient.map(abs).max() ?? 0
    if gradientNorm < gradientTolerance * 1e4 { return x }
    throw EvaluationError.didNotConverge(iterations: maxIterations, gradientNorm: gradientNorm)
}
