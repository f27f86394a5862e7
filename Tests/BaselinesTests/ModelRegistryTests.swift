import Baselines
import ChurnSupport
import Foundation
import Snapshots
import XCTest

/// The registry every tool takes model names from, and the model file's `baselines` section.
final class ModelRegistryTests: XCTestCase {
    func testOrderNamesAndDisplayNames() {
        let known = ["lstm", "aggregate_logistic", "rfm_logistic", "bg_nbd", "recency"]
        XCTAssertEqual(Array(ModelRegistry.order.prefix(3)), ["ensemble", "lstm", "xgboost"], "the forecaster's own models come first, the headline first")
        XCTAssertEqual(ModelRegistry.order.filter(known.contains), known, "report order of the models every model file has")
        XCTAssertEqual(Set(ModelRegistry.order).count, ModelRegistry.order.count, "names are unique")
        XCTAssertEqual(Set(ModelRegistry.baselines.map { $0.displayName }).count, ModelRegistry.baselines.count, "display names are unique")
        XCTAssertEqual(ModelRegistry.displayName("lstm"), "LSTM")
        XCTAssertEqual(ModelRegistry.displayName("rfm_logistic"), "RFM logistic regression")
        XCTAssertEqual(ModelRegistry.displayName("unregistered"), "unregistered")
        XCTAssertEqual(ModelRegistry.storedBaselines.map { $0.name }.filter(["aggregate_logistic", "rfm_logistic"].contains),
                       ["aggregate_logistic", "rfm_logistic"])
    }

    func testProbabilityMetricsApplyOnlyWhereScoresAreProbabilitiesOfTheLabel() {
        XCTAssertTrue(RFMLogistic.scoresAreProbabilities(under: .event("cancel")))
        XCTAssertFalse(RecencyRule.scoresAreProbabilities(under: .inactivity))
        XCTAssertTrue(BGNBDBaseline.scoresAreProbabilities(under: .inactivity))
        XCTAssertFalse(BGNBDBaseline.scoresAreProbabilities(under: .event("cancel")), "BG/NBD models no activity, not the event")
    }

    /// The section a model file holds (sorted keys, as the file writes them) reads and writes back
    /// byte for byte: model files keep their format across the registry.
    func testBaselinesSectionRoundTripsByteForByte() throws {
        let text = #"{"aggregateEventTypes":["login","pay"],"aggregateLogistic":{"C":1,"feature_names":["a"],"intercept":-0.5,"means":[1],"stds":[2],"weights":[0.25]},"rfmLogistic":{"C":1,"feature_names":["r","f"],"intercept":0.125,"means":[0,1],"stds":[1,1],"weights":[1.5,-2]}}"#
        let section = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        let fitted = try XCTUnwrap(try FittedBaselines(section: section))
        XCTAssertEqual(Set(fitted.fits.keys), ["aggregate_logistic", "rfm_logistic"])
        XCTAssertEqual((fitted.fits["aggregate_logistic"] as? AggregateLogistic)?.eventTypes, ["login", "pay"])
        XCTAssertEqual((fitted.fits["rfm_logistic"] as? RFMLogistic)?.regression.weights, [1.5, -2])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        XCTAssertEqual(String(decoding: try encoder.encode(try fitted.section()), as: UTF8.self), text)
    }

    func testNullSectionIsNoBaselinesAndAMalformedOneIsRefused() throws {
        XCTAssertNil(try FittedBaselines(section: .null))
        XCTAssertThrowsError(try FittedBaselines(section: .array([])))
        XCTAssertThrowsError(try FittedBaselines(section: .object(["rfmLogistic": .string("not a regression")])))
        XCTAssertEqual(try XCTUnwrap(try FittedBaselines(section: .object([:]))).fits.count, 0)
    }
}
