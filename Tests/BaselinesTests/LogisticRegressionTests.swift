import Foundation
import XCTest
import _TestSupport
@testable import Baselines
import Evaluation

private struct LogisticFixture: Decodable {
    struct Fit: Decodable {
        let C: Double
        let weighted: Bool
        let coefficients: [Double]
        let intercept: Double
        let probabilities: [Double]
    }
    let feature_names: [String]
    let features: [[Double]]
    let labels: [Int]
    let sample_weights: [Double]
    let means: [Double]
    let stds: [Double]
    let fits: [Fit]
}

final class LogisticRegressionTests: XCTestCase {
    func testMatchesScikitLearn() throws {
        let f = try loadFixture("logistic", as: LogisticFixture.self, in: .module)
        let y = f.labels.map { $0 == 1 }
        var log = DifferenceLog()
        for fit in f.fits {
            let model = try LogisticRegression.fit(features: f.features, labels: y, featureNames: f.feature_names,
                                                   c: fit.C, sampleWeights: fit.weighted ? f.sample_weights : nil)
            let tag = "C=\(fit.C)\(fit.weighted ? " weighted" : "")"
            for j in 0..<f.means.count {
                XCTAssertEqual(model.means[j], f.means[j], accuracy: 1e-9 * abs(f.means[j]))
                XCTAssertEqual(model.stds[j], f.stds[j], accuracy: 1e-9 * f.stds[j])
                let relative = abs(model.weights[j] - fit.coefficients[j]) / abs(fit.coefficients[j])
                XCTAssertLessThan(relative, 1e-4, "\(tag) coefficient \(j)")
                log.record("relative coefficient", relative, 0)
            }
            XCTAssertEqual(model.intercept, fit.intercept, accuracy: 1e-6 * max(1, abs(fit.intercept)), tag)
            log.record("intercept", model.intercept, fit.intercept)
            let probabilities = try model.predictProbabilities(features: f.features)
            for i in 0..<probabilities.count {
                XCTAssertEqual(probabilities[i], fit.probabilities[i], accuracy: 1e-5, tag)
                log.record("probability", probabilities[i], fit.probabilities[i])
            }
            // Raw-scale coefficients give the same linear predictor.
            let raw = model.rawCoefficients
            let z = raw.intercept + zip(raw.weights, f.features[0]).reduce(0) { $0 + $1.0 * $1.1 }
            XCTAssertEqual(1 / (1 + exp(-z)), probabilities[0], accuracy: 1e-12)
        }
        log.report("logistic regression vs scikit-learn")
    }

    func testCodableRoundTripAndScaleRobustness() throws {
        let f = try loadFixture("logistic", as: LogisticFixture.self, in: .module)
        let y = f.labels.map { $0 == 1 }
        let model = try LogisticRegression.fit(features: f.features, labels: y, featureNames: f.feature_names)
        let json = try JSONEncoder().encode(model)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: json) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["feature_names", "means", "stds", "weights", "intercept", "C"])
        let decoded = try JSONDecoder().decode(LogisticRegression.self, from: json)
        XCTAssertEqual(decoded, model)
        // Rescaling a feature by 1e6 leaves the standardized fit unchanged.
        let scaled = f.features.map { row in [row[0] * 1e6] + row.dropFirst() }
        let other = try LogisticRegression.fit(features: scaled, labels: y, featureNames: f.feature_names)
        for j in 0..<model.weights.count { XCTAssertEqual(other.weights[j], model.weights[j], accuracy: 1e-8) }
        XCTAssertThrowsError(try model.predictProbability(features: [1, 2])) {
            XCTAssertEqual($0 as? EvaluationError, .featureCountMismatch(expected: 4, actual: 2))
        }
        // A constant feature and separable data still fit (the penalty keeps weights finite).
        let separable = (0..<50).map { [Double($0), 3.0] }
        let sepModel = try LogisticRegression.fit(features: separable, labels: (0..<50).map { $0 >= 25 },
                                                  featureNames: ["x", "constant"])
        XCTAssertTrue(sepModel.weights.allSatisfy(\.isFinite))
        XCTAssertEqual(sepModel.weights[1], 0, accuracy: 1e-12)
        XCTAssertThrowsError(try LogisticRegression.fit(features: separable, labels: (0..<50).map { _ in true },
                                                        featureNames: ["x", "constant"])) {
            XCTAssertEqual($0 as? EvaluationError, .singleClass(positives: 50, count: 50))
        }
        XCTAssertEqual(LogisticRegression.balancedWeights(labels: [true, false, false, false]), [2, 2.0 / 3, 2.0 / 3, 2.0 / 3])
    }
}
