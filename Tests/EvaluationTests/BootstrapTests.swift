import ChurnSupport
import Foundation
import XCTest
import _TestSupport
@testable import Evaluation

final class BootstrapTests: XCTestCase {
    /// Labels and two scores: `good` carries the signal strongly, `weak` barely; scores tie often.
    private func synthetic(n: Int, seed: UInt64) -> (labels: [Bool], good: [Double], weak: [Double]) {
        var g = SeededGenerator(seed: seed)
        var labels: [Bool] = [], good: [Double] = [], weak: [Double] = []
        for _ in 0..<n {
            let y = g.nextDouble() < 0.3
            labels.append(y)
            good.append((((y ? 1.2 : 0) + g.nextGaussian()) * 100).rounded() / 100)
            weak.append((((y ? 0.1 : 0) + g.nextGaussian()) * 10).rounded() / 10)
        }
        return (labels, good, weak)
    }

    func testDeterministicForASeedAndIndependentOfThreads() throws {
        let d = synthetic(n: 2000, seed: 7)
        let bootstrap = Bootstrap(resamples: 1000, seed: 42)
        let first = try bootstrap.rocAUC(scores: d.good, labels: d.labels)
        let again = try bootstrap.rocAUC(scores: d.good, labels: d.labels)
        XCTAssertEqual(first, again)
        let serial = try Threading.withThreadCount(1) { try bootstrap.rocAUC(scores: d.good, labels: d.labels) }
        XCTAssertEqual(first, serial)
        let other = try Bootstrap(resamples: 1000, seed: 43).rocAUC(scores: d.good, labels: d.labels)
        XCTAssertNotEqual(first.lower, other.lower)
        print("bootstrap AUC \(first.estimate) CI [\(first.lower), \(first.upper)]")
    }

    func testReplicatesMatchNaiveResampling() throws {
        let d = synthetic(n: 300, seed: 3)
        let bootstrap = Bootstrap(resamples: 50, seed: 9)
        let fast = try bootstrap.rocAUCReplicates(scores: d.good, labels: d.labels)
        var naive: [Double] = []
        for b in 0..<bootstrap.resamples {
            // The same stream as the engine: resample b, generator seeded from (seed, b).
            var g = SeededGenerator(seed: bootstrap.seed &+ UInt64(b) &* 0x9E37_79B9_7F4A_7C15)
            let idx = (0..<d.labels.count).map { _ in g.nextInt(below: d.labels.count) }
            naive.append(try Metrics.rocAUC(scores: idx.map { d.good[$0] }, labels: idx.map { d.labels[$0] }))
        }
        let maxDifference = maxAbsDifference(fast, naive)
        print("bootstrap replicates vs naive resampling: max |difference| = \(maxDifference)")
        XCTAssertLessThan(maxDifference, 1e-12)
    }

    func testIntervalsBehave() throws {
        let d = synthetic(n: 3000, seed: 11)
        let bootstrap = Bootstrap(resamples: 1000, seed: 5)
        let interval = try bootstrap.rocAUC(scores: d.good, labels: d.labels)
        XCTAssertEqual(interval.estimate, try Metrics.rocAUC(scores: d.good, labels: d.labels))
        XCTAssertTrue(interval.contains(interval.estimate))
        XCTAssertLessThan(interval.upper - interval.lower, 0.1)
        XCTAssertEqual(interval.skipped, 0)

        let better = try bootstrap.pairedROCAUCDifference(scores: d.good, baselineScores: d.weak, labels: d.labels)
        print("paired AUC difference good − weak: \(better.estimate) CI [\(better.lower), \(better.upper)]")
        XCTAssertGreaterThan(better.lower, 0, "a clearly better model's interval must exclude 0")
        XCTAssertTrue(better.contains(better.estimate))

        let same = try bootstrap.pairedROCAUCDifference(scores: d.good, baselineScores: d.good, labels: d.labels)
        XCTAssertEqual(same.estimate, 0)
        XCTAssertTrue(same.contains(0))

        // Two models of equal quality (independent noise on the same signal): 0 inside the interval.
        var g = SeededGenerator(seed: 99)
        let twinA = d.labels.map { ($0 ? 0.8 : 0) + g.nextGaussian() }
        let twinB = d.labels.map { ($0 ? 0.8 : 0) + g.nextGaussian() }
        let twins = try bootstrap.pairedROCAUCDifference(scores: twinA, baselineScores: twinB, labels: d.labels)
        print("paired AUC difference of equal models: \(twins.estimate) CI [\(twins.lower), \(twins.upper)]")
        XCTAssertTrue(twins.contains(0))

        let encoded = try JSONEncoder().encode(AUCDifference(better))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["roc_auc_diff", "roc_auc_diff_ci95", "log_loss_diff", "log_loss_diff_ci95"])
        XCTAssertTrue(object["log_loss_diff"] is NSNull, "a missing log-loss difference is null, not absent")
    }

    /// Paired mean differences: a constant shift gives that constant in every resample; noise
    /// gives the mean with an interval as wide as the normal approximation's.
    func testPairedMeanDifferences() throws {
        var g = SeededGenerator(seed: 4)
        let n = 4000
        let a = (0..<n).map { _ in g.nextGaussian() + 1 }
        let shifted = a.map { $0 - 0.25 }
        let noisy = a.map { $0 + g.nextGaussian() }
        let bootstrap = Bootstrap(resamples: 400, seed: 9)
        let result = try bootstrap.compareMeans(losses: [a, shifted, nil, noisy], reference: 0)
        XCTAssertNil(result[0], "the reference has no difference with itself")
        XCTAssertNil(result[2], "a model without losses has none")
        let shift = try XCTUnwrap(result[1])
        XCTAssertEqual(shift.estimate, 0.25, accuracy: 1e-12)
        XCTAssertEqual(shift.lower, 0.25, accuracy: 1e-9)
        XCTAssertEqual(shift.upper, 0.25, accuracy: 1e-9)
        let noise = try XCTUnwrap(result[3])
        let d = zip(a, noisy).map { $0 - $1 }
        let mean = d.reduce(0, +) / Double(n)
        XCTAssertEqual(noise.estimate, mean, accuracy: 1e-12)
        let sd = (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot() / Double(n).squareRoot()
        XCTAssertEqual(noise.upper - noise.lower, 2 * 1.96 * sd, accuracy: 0.2 * 2 * 1.96 * sd)
        XCTAssertTrue(noise.lower < mean && mean < noise.upper)
        XCTAssertThrowsError(try bootstrap.compareMeans(losses: [a, [Double.nan] + shifted.dropFirst()], reference: 0))
    }

    func testCompareSharesDrawsAndAgreesWithSeparateCalls() throws {
        let d = synthetic(n: 1500, seed: 21)
        let bootstrap = Bootstrap(resamples: 300, seed: 8)
        let comparison = try bootstrap.compare(models: [d.good, d.weak], labels: d.labels, reference: 0)
        XCTAssertEqual(comparison.intervals[0], try bootstrap.rocAUC(scores: d.good, labels: d.labels))
        XCTAssertEqual(comparison.intervals[1], try bootstrap.rocAUC(scores: d.weak, labels: d.labels))
        XCTAssertEqual(comparison.differences[1],
                       try bootstrap.pairedROCAUCDifference(scores: d.good, baselineScores: d.weak, labels: d.labels))
        XCTAssertEqual(comparison.differences[0].bounds, [0, 0])
        XCTAssertThrowsError(try bootstrap.compare(models: [d.good], labels: d.labels, reference: 1))
    }

    func testTinySamplesSkipSingleClassResamples() throws {
        let interval = try Bootstrap(resamples: 500, seed: 1).rocAUC(scores: [0.1, 0.4, 0.35, 0.8, 0.5],
                                                                      labels: [false, false, true, true, false])
        XCTAssertGreaterThan(interval.skipped, 0)
        XCTAssertLessThan(interval.skipped, 500)
        XCTAssertThrowsError(try Bootstrap(resamples: 0).rocAUC(scores: [0.1, 0.2], labels: [true, false]))
        XCTAssertThrowsError(try Bootstrap(confidence: 1).rocAUC(scores: [0.1, 0.2], labels: [true, false]))
    }
}

final class ModelComparisonTests: XCTestCase {
    func testEvaluateProducesSpecSections() throws {
        var g = SeededGenerator(seed: 4)
        let labels = (0..<2000).map { _ in g.nextDouble() < 0.4 }
        let lstm = labels.map { 1 / (1 + exp(-(($0 ? 1.5 : -0.5) + g.nextGaussian()))) }
        let rfm = labels.map { 1 / (1 + exp(-(($0 ? 0.5 : -0.2) + g.nextGaussian()))) }
        let recency = labels.map { ($0 ? 30 : 10) + 40 * g.nextDouble() }.map { $0.rounded() }
        let comparison = try ModelComparison.evaluate(
            models: [ModelScores(name: "lstm", probabilities: lstm), ModelScores(name: "rfm_logistic", probabilities: rfm),
                     ModelScores(name: "recency", scores: recency, probabilities: nil)],
            labels: labels, reference: "lstm", bootstrap: Bootstrap(resamples: 1000, seed: 3))
        XCTAssertEqual(Set(comparison.models.keys), ["lstm", "rfm_logistic", "recency"])
        XCTAssertEqual(Set(comparison.differences.keys), ["rfm_logistic", "recency"])
        let lstmSet = try XCTUnwrap(comparison.models["lstm"])
        let ci = try XCTUnwrap(lstmSet.rocAUCCI95)
        XCTAssertTrue(ci[0] <= lstmSet.rocAUC && lstmSet.rocAUC <= ci[1])
        for (name, d) in comparison.differences {
            print("lstm − \(name): \(d.rocAUCDiff) CI \(d.rocAUCDiffCI95)")
            XCTAssertGreaterThan(d.rocAUCDiffCI95[0], 0)
        }
        XCTAssertTrue(comparison.models["recency"]!.logLoss.isNaN)
        let json = try JSONEncoder().encode(comparison)
        XCTAssertEqual(try JSONDecoder().decode(ModelComparison.self, from: json), comparison)

        // A single class never throws: NaN AUCs, no differences, a warning.
        let single = try ModelComparison.evaluate(models: [ModelScores(name: "lstm", probabilities: lstm)],
                                                  labels: labels.map { _ in false }, reference: "lstm")
        XCTAssertTrue(single.models["lstm"]!.rocAUC.isNaN)
        XCTAssertTrue(single.differences.isEmpty)
        XCTAssertFalse(single.models["lstm"]!.warnings.isEmpty)
    }
}
