import ChurnSupport
import Foundation
import XCTest
import _TestSupport
@testable import Baselines
import Evaluation

private struct BGNBDFixture: Decodable {
    struct Fit: Decodable {
        let penalizer: Double
        let r: Double
        let alpha: Double
        let a: Double
        let b: Double
        let mean_negative_log_likelihood: Double
    }
    struct Check: Decodable {
        let frequency: Int
        let recency: Double
        let T: Double
        let p_alive: Double
        let expected_purchases: Double
        let p_no_purchase: Double
    }
    let horizon: Double
    let frequency: [Int]
    let recency: [Double]
    let T: [Double]
    let fits: [Fit]
    let checks: [Check]

    var customers: [BGNBDCustomer] {
        (0..<frequency.count).map { BGNBDCustomer(frequency: frequency[$0], recency: recency[$0], age: T[$0]) }
    }
}

final class BGNBDTests: XCTestCase {
    func testParametersMatchLifetimes() throws {
        let f = try loadFixture("bgnbd", as: BGNBDFixture.self, in: .module)
        let customers = f.customers
        var log = DifferenceLog()
        for expected in f.fits {
            let model = try BGNBDModel.fit(customers, penalizer: expected.penalizer)
            let pairs = [("r", model.r, expected.r), ("alpha", model.alpha, expected.alpha),
                         ("a", model.a, expected.a), ("b", model.b, expected.b)]
            for (name, actual, reference) in pairs {
                let relative = abs(actual - reference) / abs(reference)
                XCTAssertLessThan(relative, 1e-3, "penalizer \(expected.penalizer) \(name): \(actual) vs \(reference)")
                log.record("relative \(name) (penalizer \(expected.penalizer))", relative, 0)
            }
            if expected.penalizer == 0 {
                // Our optimum is at least as good as lifetimes' (same time unit for both).
                let ours = try model.meanNegativeLogLikelihood(customers)
                let theirs = try BGNBDModel(r: expected.r, alpha: expected.alpha, a: expected.a, b: expected.b)
                    .meanNegativeLogLikelihood(customers)
                XCTAssertLessThanOrEqual(ours, theirs + 1e-12)
                log.record("mean NLL (weeks)", ours, theirs)
            }
        }
        log.report("BG/NBD vs lifetimes")
    }

    func testScoringMatchesLifetimesAndClosedForm() throws {
        let f = try loadFixture("bgnbd", as: BGNBDFixture.self, in: .module)
        let p = try XCTUnwrap(f.fits.first { $0.penalizer == 0 })
        // Score with lifetimes' own parameters so the check isolates the formulas.
        let model = BGNBDModel(r: p.r, alpha: p.alpha, a: p.a, b: p.b)
        var log = DifferenceLog()
        for c in f.checks {
            let customer = BGNBDCustomer(frequency: c.frequency, recency: c.recency, age: c.T)
            let alive = model.probabilityAlive(customer)
            let none = model.probabilityOfNoPurchase(within: f.horizon, given: customer)
            let expected = model.expectedPurchases(within: f.horizon, given: customer)
            XCTAssertEqual(alive, c.p_alive, accuracy: 1e-10)
            XCTAssertEqual(none, c.p_no_purchase, accuracy: 1e-10)
            XCTAssertEqual(expected, c.expected_purchases, accuracy: 1e-8 * max(1, c.expected_purchases))
            log.record("P(alive)", alive, c.p_alive)
            log.record("P(no purchase in horizon)", none, c.p_no_purchase)
            log.record("expected purchases", expected, c.expected_purchases)
            if c.frequency == 0 { XCTAssertEqual(alive, 1) }  // the documented flaw
        }
        log.report("BG/NBD scoring vs lifetimes")
        let scores = try model.churnScores(f.customers, horizon: f.horizon)
        XCTAssertTrue(scores.allSatisfy { $0 > 0 && $0 <= 1 })
    }

    func testInvalidHistoriesThrow() {
        XCTAssertThrowsError(try BGNBDModel.fit([])) { XCTAssertEqual($0 as? EvaluationError, .emptyInput) }
        XCTAssertThrowsError(try BGNBDModel.fit([BGNBDCustomer(frequency: 2, recency: 5, age: 3)])) { error in
            guard case EvaluationError.invalidHistory(index: 0, _) = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try BGNBDModel(r: 1, alpha: 1, a: 1, b: 1).churnScores([BGNBDCustomer(frequency: 0, recency: 0, age: 1)], horizon: 0))
    }

    /// Gamma(shape, 1) by Marsaglia–Tsang (boosted for shape < 1).
    private func gamma(_ shape: Double, _ g: inout SeededGenerator) -> Double {
        if shape < 1 { return gamma(shape + 1, &g) * pow(g.nextDouble(), 1 / shape) }
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            let x = g.nextGaussian()
            let v = pow(1 + c * x, 3)
            if v <= 0 { continue }
            if log(g.nextDouble()) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
        }
    }

    func testRecoversSimulatedParametersAndForecastIsCalibrated() throws {
        // Simulate the BG/NBD process in whole days up to the cutoff and over a 60-day horizon.
        let truth = BGNBDModel(r: 0.5, alpha: 20, a: 0.8, b: 2.5)
        var g = SeededGenerator(seed: 2005)
        let horizon = 60.0
        var customers: [BGNBDCustomer] = [], quiet: [Bool] = []
        for _ in 0..<20_000 {
            let lambda = gamma(truth.r, &g) / truth.alpha
            let ga = gamma(truth.a, &g), gb = gamma(truth.b, &g)
            let p = ga / (ga + gb)
            let age = Double(30 + g.nextInt(below: 335))
            var t = 0.0, x = 0, tx = 0.0, alive = true
            while true {
                t += -log(1 - g.nextDouble()) / lambda
                if t > age { break }
                x += 1
                tx = t
                if g.nextDouble() < p { alive = false; break }
            }
            // The next purchase after the cutoff, if still alive (memoryless wait).
            let next = alive ? -log(1 - g.nextDouble()) / lambda : .infinity
            customers.append(BGNBDCustomer(frequency: x, recency: tx, age: age))
            quiet.append(next > horizon)
        }
        let model = try BGNBDModel.fit(customers)
        print("BG/NBD on simulated data: fitted \(model) vs truth \(truth)")
        XCTAssertEqual(model.r, truth.r, accuracy: 0.1 * truth.r)
        XCTAssertEqual(model.alpha, truth.alpha, accuracy: 0.15 * truth.alpha)
        XCTAssertEqual(model.a, truth.a, accuracy: 0.2 * truth.a)
        XCTAssertEqual(model.b, truth.b, accuracy: 0.25 * truth.b)
        // The horizon forecast is calibrated: predicted and observed share of quiet customers agree.
        let scores = try model.churnScores(customers, horizon: horizon)
        let predicted = scores.reduce(0, +) / Double(scores.count)
        let observed = Double(quiet.filter { $0 }.count) / Double(quiet.count)
        print("BG/NBD horizon forecast: mean P(no purchase) \(predicted), observed \(observed)")
        XCTAssertEqual(predicted, observed, accuracy: 0.01)
        let auc = try Metrics.rocAUC(scores: scores, labels: quiet)
        print("BG/NBD churn-score ROC AUC on simulated data: \(auc)")
        XCTAssertGreaterThan(auc, 0.6)
    }

    func testSummaryFromEventTimes() throws {
        // Two events on day 3 count once; the event at the cutoff is ignored.
        let c = try XCTUnwrap(BGNBDCustomer(eventTimes: [10.5, 3.2, 3.9, 7.0, 20.0], cutoff: 20))
        XCTAssertEqual(c, BGNBDCustomer(frequency: 2, recency: 7, age: 17))
        XCTAssertEqual(BGNBDCustomer(eventTimes: [4.0], cutoff: 9), BGNBDCustomer(frequency: 0, recency: 0, age: 9 - 4))
        XCTAssertNil(BGNBDCustomer(eventTimes: [25.0], cutoff: 20))
        // Weekly periods.
        XCTAssertEqual(BGNBDCustomer(eventTimes: [0, 6, 7, 15], cutoff: 28, period: 7),
                       BGNBDCustomer(frequency: 2, recency: 2, age: 4))
    }

    func testDigammaAndHypergeometric() {
        XCTAssertEqual(digamma(1), -0.5772156649015329, accuracy: 1e-13)
        XCTAssertEqual(digamma(0.5), -1.9635100260214235, accuracy: 1e-13)
        XCTAssertEqual(digamma(10.3), 2.2828154464391224, accuracy: 1e-12)
        // ₂F₁(1, 1; 2; z) = −log(1 − z) / z.
        XCTAssertEqual(BGNBDModel.hypergeometric2F1(1, 1, 2, 0.5), -log(0.5) / 0.5, accuracy: 1e-13)
    }
}
