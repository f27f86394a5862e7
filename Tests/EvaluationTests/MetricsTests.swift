import Foundation
import XCTest
import _TestSupport
@testable import Evaluation

private struct MetricsFixture: Decodable {
    struct Case: Decodable {
        let name: String
        let scores: [Double]
        let labels: [Int]
        let roc_auc: Double?
        let average_precision: Double?
        let log_loss: Double
        let brier: Double
        let ece: Double
        let top_decile_lift: Double?
        var bools: [Bool] { labels.map { $0 == 1 } }
    }
    let cases: [Case]
}

private struct CurveJSON: Codable {
    let roc: [CurvePoint]
    let bins: [CalibrationBin]
}

final class MetricsTests: XCTestCase {
    func testMetricsMatchScikitLearn() throws {
        let fixture = try loadFixture("metrics", as: MetricsFixture.self, in: .module)
        var log = DifferenceLog()
        for c in fixture.cases {
            let y = c.bools
            if let expected = c.roc_auc {
                let auc = try Metrics.rocAUC(scores: c.scores, labels: y)
                XCTAssertEqual(auc, expected, accuracy: 1e-12, c.name)
                log.record("roc_auc", auc, expected)
            }
            if let expected = c.average_precision {
                let ap = try Metrics.averagePrecision(scores: c.scores, labels: y)
                XCTAssertEqual(ap, expected, accuracy: 1e-12, c.name)
                log.record("average_precision", ap, expected)
            }
            let ll = try Metrics.logLoss(probabilities: c.scores, labels: y)
            XCTAssertEqual(ll, c.log_loss, accuracy: 1e-12 * max(1, c.log_loss), c.name)
            log.record("log_loss", ll, c.log_loss)
            let brier = try Metrics.brierScore(probabilities: c.scores, labels: y)
            XCTAssertEqual(brier, c.brier, accuracy: 1e-12, c.name)
            log.record("brier", brier, c.brier)
            let ece = try Metrics.expectedCalibrationError(probabilities: c.scores, labels: y)
            XCTAssertEqual(ece, c.ece, accuracy: 1e-12, c.name)
            log.record("ece (numpy reference)", ece, c.ece)
            if let expected = c.top_decile_lift {
                let lift = try Metrics.topDecileLift(scores: c.scores, labels: y)
                XCTAssertEqual(lift, expected, accuracy: 1e-12, c.name)
                log.record("top_decile_lift (numpy reference)", lift, expected)
            }
        }
        log.report("metrics vs scikit-learn")
    }

    func testSingleClassIsNaNWithWarningNotACrash() throws {
        let fixture = try loadFixture("metrics", as: MetricsFixture.self, in: .module)
        for name in ["single_class_positive", "single_class_negative"] {
            let c = try XCTUnwrap(fixture.cases.first { $0.name == name })
            XCTAssertThrowsError(try Metrics.rocAUC(scores: c.scores, labels: c.bools)) { error in
                guard case EvaluationError.singleClass = error else { return XCTFail("\(error)") }
            }
            XCTAssertThrowsError(try Metrics.averagePrecision(scores: c.scores, labels: c.bools))
            XCTAssertThrowsError(try Bootstrap(resamples: 10).rocAUC(scores: c.scores, labels: c.bools))
            XCTAssertThrowsError(try Curves.roc(scores: c.scores, labels: c.bools))
            let set = try MetricSet.compute(scores: c.scores, labels: c.bools, probabilities: c.scores)
            XCTAssertTrue(set.rocAUC.isNaN)
            XCTAssertTrue(set.prAUC.isNaN)
            XCTAssertNil(set.rocAUCCI95)
            XCTAssertEqual(set.logLoss, c.log_loss, accuracy: 1e-12)
            XCTAssertEqual(set.brier, c.brier, accuracy: 1e-12)
            XCTAssertTrue(set.warnings.contains { if case .singleClass = $0 { return true } else { return false } })
            // NaN encodes as null and decodes back to NaN.
            let json = try JSONEncoder().encode(set)
            let text = String(decoding: json, as: UTF8.self)
            XCTAssertTrue(text.contains("\"roc_auc\":null"), text)
            XCTAssertEqual(try JSONDecoder().decode(MetricSet.self, from: json), set)
        }
    }

    func testMetricSetJSONKeysAndRoundTrip() throws {
        let fixture = try loadFixture("metrics", as: MetricsFixture.self, in: .module)
        let c = fixture.cases[0]
        let set = try MetricSet.compute(scores: c.scores, labels: c.bools, probabilities: c.scores,
                                        bootstrap: Bootstrap(resamples: 200, seed: 1))
        XCTAssertEqual(set.rocAUC, try XCTUnwrap(c.roc_auc), accuracy: 1e-12)
        XCTAssertTrue(set.warnings.isEmpty)
        let json = try JSONEncoder().encode(set)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: json) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["roc_auc", "pr_auc", "log_loss", "brier", "ece", "top_decile_lift", "roc_auc_ci95"])
        XCTAssertEqual(try JSONDecoder().decode(MetricSet.self, from: json), set)
        // A rule without probabilities: probability metrics are null and flagged.
        let rule = try MetricSet.compute(scores: c.scores.map { $0 * 100 }, labels: c.bools, probabilities: nil, bootstrap: nil)
        XCTAssertEqual(rule.rocAUC, set.rocAUC, accuracy: 1e-12)
        XCTAssertTrue(rule.logLoss.isNaN)
        XCTAssertEqual(rule.warnings, [.noProbabilities])
    }

    func testInvalidInputThrowsTypedErrors() {
        XCTAssertThrowsError(try Metrics.rocAUC(scores: [], labels: [])) { XCTAssertEqual($0 as? EvaluationError, .emptyInput) }
        XCTAssertThrowsError(try Metrics.rocAUC(scores: [0.1], labels: [true, false])) {
            XCTAssertEqual($0 as? EvaluationError, .lengthMismatch(expected: 1, actual: 2))
        }
        XCTAssertThrowsError(try Metrics.rocAUC(scores: [0.1, .nan], labels: [true, false])) {
            XCTAssertEqual($0 as? EvaluationError, .nonFiniteValue(index: 1))
        }
        XCTAssertThrowsError(try Metrics.logLoss(probabilities: [0.1, 1.5], labels: [true, false])) {
            XCTAssertEqual($0 as? EvaluationError, .probabilityOutOfRange(index: 1, value: 1.5))
        }
    }

    func testCurvesAreConsistentWithMetrics() throws {
        let fixture = try loadFixture("metrics", as: MetricsFixture.self, in: .module)
        let c = fixture.cases[0]
        let y = c.bools
        // Trapezoidal area under the full ROC curve equals the rank AUC.
        let roc = try Curves.roc(scores: c.scores, labels: y, maxPoints: .max)
        var area = 0.0
        for k in 1..<roc.count { area += (roc[k].x - roc[k - 1].x) * (roc[k].y + roc[k - 1].y) / 2 }
        XCTAssertEqual(area, try Metrics.rocAUC(scores: c.scores, labels: y), accuracy: 1e-12)
        XCTAssertEqual(roc.last?.x, 1)
        XCTAssertEqual(roc.last?.y, 1)
        // Step area under the PR curve equals average precision.
        let pr = try Curves.precisionRecall(scores: c.scores, labels: y, maxPoints: .max)
        var ap = 0.0
        for k in 1..<pr.count { ap += (pr[k].x - pr[k - 1].x) * pr[k].y }
        XCTAssertEqual(ap, try Metrics.averagePrecision(scores: c.scores, labels: y), accuracy: 1e-12)
        // Downsampling keeps the ends and the limit.
        let big = (0..<10_000).map { Double($0) / 10_000 }
        let labels = (0..<10_000).map { $0 % 3 == 0 }
        for curve in [try Curves.roc(scores: big, labels: labels), try Curves.precisionRecall(scores: big, labels: labels),
                      try Curves.cumulativeGains(scores: big, labels: labels)] {
            XCTAssertLessThanOrEqual(curve.count, 200)
            XCTAssertEqual(curve.last?.x, 1)
        }
        let gains = try Curves.cumulativeGains(scores: c.scores, labels: y)
        XCTAssertEqual(gains.first?.x, 0)
        XCTAssertEqual(gains.last?.x, 1)
        let bins = try Curves.calibration(probabilities: c.scores, labels: y)
        XCTAssertEqual(bins.count, 10)
        XCTAssertEqual(bins.reduce(0) { $0 + $1.count }, c.scores.count)
        // Curves encode to JSON even with the +∞ anchor threshold and empty calibration bins.
        let sparse = try Curves.calibration(probabilities: [0.05, 0.95], labels: [false, true])
        XCTAssertTrue(sparse[5].meanPredicted.isNaN)
        let encoded = try JSONEncoder().encode(CurveJSON(roc: roc, bins: sparse))
        XCTAssertTrue(String(decoding: encoded, as: UTF8.self).contains("\"threshold\":null"))
        let decoded = try JSONDecoder().decode(CurveJSON.self, from: encoded)
        XCTAssertEqual(decoded.roc, roc)
        XCTAssertEqual(decoded.bins[0], sparse[0])
        let histogram = try Curves.scoreHistogram(scores: c.scores, labels: y, bins: 20, range: 0...1)
        XCTAssertEqual(histogram.count, 20)
        XCTAssertEqual(histogram.reduce(0) { $0 + $1.positives }, y.filter { $0 }.count)
        XCTAssertEqual(histogram.reduce(0) { $0 + $1.negatives }, y.filter { !$0 }.count)
    }
}
