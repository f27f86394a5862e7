import ChurnSupport
import GradientBoosting
import _TestSupport
import Foundation
import XCTest

final class BoosterTests: XCTestCase {
    /// Small, fast settings for the tests.
    func parameters(rounds: Int = 60, earlyStopping: Int? = 10, seed: UInt64 = 3, threads: Int = 2) -> BoosterParameters {
        BoosterParameters(maxDepth: 4, learningRate: 0.3, maxRounds: rounds, earlyStoppingRounds: earlyStopping,
                          seed: seed, threads: threads)
    }

    func testLearnsANonlinearRuleOnHeldOutRows() throws {
        let train = TestTable(rows: 2000, seed: 1), test = TestTable(rows: 1000, noise: 0, seed: 2)
        var rounds: [BoostingRound] = []
        let booster = try Booster.train(features: train.features, labels: train.labels, featureCount: 4,
                                        parameters: parameters(earlyStopping: nil), progress: { rounds.append($0) })
        XCTAssertEqual(rounds.count, 60)
        XCTAssertEqual(try booster.roundCount, 60)
        XCTAssertEqual(booster.featureCount, 4)
        XCTAssert(rounds.allSatisfy { $0.validationLogLoss == nil && $0.isBest })
        let first = try XCTUnwrap(rounds.first?.trainingLogLoss), last = try XCTUnwrap(rounds.last?.trainingLogLoss)
        XCTAssert(last < first, "training log loss \(first) → \(last)")
        let auc = exactROCAUC(scores: try booster.probabilities(features: test.features, rowCount: test.rowCount), labels: test.labels)
        print("held-out AUC \(auc)")
        XCTAssert(auc > 0.95, "held-out AUC \(auc)")
    }

    func testEarlyStoppingKeepsTheBestRound() throws {
        // Noisy labels and deep, fast trees overfit: the validation loss turns up early.
        let train = TestTable(rows: 600, noise: 0.25, seed: 11), validation = TestTable(rows: 600, noise: 0.25, seed: 12)
        var settings = parameters(rounds: 300, earlyStopping: 8)
        settings.learningRate = 0.1
        settings.maxDepth = 6
        var rounds: [BoostingRound] = []
        let booster = try Booster.train(features: train.features, labels: train.labels, featureCount: 4,
                                        validation: validation.validation, parameters: settings,
                                        progress: { rounds.append($0) })
        let losses = try rounds.map { try XCTUnwrap($0.validationLogLoss) }
        let best = try XCTUnwrap(losses.indices.min { losses[$0] < losses[$1] })
        XCTAssertLessThan(rounds.count, 300, "never stopped early")
        XCTAssertEqual(rounds.count, best + 1 + 8, "stops 8 rounds after the best")
        XCTAssertEqual(rounds.map(\.round), Array(0..<rounds.count))
        XCTAssertEqual(rounds.indices.filter { rounds[$0].isBest }.last, best)
        XCTAssertEqual(try booster.roundCount, best + 1)
        let saved = try booster.logLoss(features: validation.features, labels: validation.labels)
        print("best round \(best) of \(rounds.count): validation log loss \(losses[best]), saved model \(saved)")
        XCTAssertEqual(saved, losses[best], "the saved model's validation log loss is the best seen")
        let reloaded = try Booster(serialized: booster.serialized(), threads: 2)
        XCTAssertEqual(try reloaded.logLoss(features: validation.features, labels: validation.labels), losses[best])
    }

    func testSameSeedAndThreadsGiveIdenticalBytes() throws {
        let train = TestTable(rows: 1500, seed: 21), validation = TestTable(rows: 500, seed: 22)
        var settings = parameters(rounds: 30)
        settings.subsample = 0.7
        settings.colsampleByTree = 0.5
        func model(seed: UInt64) throws -> [UInt8] {
            settings.seed = seed
            return try Booster.train(features: train.features, labels: train.labels, featureCount: 4,
                                     validation: validation.validation, parameters: settings).serialized()
        }
        let a = try model(seed: 5), b = try model(seed: 5), c = try model(seed: 6)
        XCTAssertFalse(a.isEmpty)
        XCTAssert(a == b, "same seed and threads: \(a.count) vs \(b.count) bytes, first difference at \(String(describing: a.indices.first { $0 < b.count && a[$0] != b[$0] }))")
        XCTAssertNotEqual(a, c, "the seed drives the row and column sampling")
        XCTAssertEqual(a.first, UInt8(ascii: "{"), "JSON model bytes")
    }

    func testRoundTripGivesBitwiseIdenticalMargins() throws {
        var train = TestTable(rows: 1000, seed: 31)
        for i in stride(from: 0, to: train.features.count, by: 7) { train.features[i] = .nan }  // missing values
        let booster = try Booster.train(features: train.features, labels: train.labels, featureCount: 4,
                                        parameters: parameters(rounds: 25, earlyStopping: nil))
        let bytes = try booster.serialized()
        let loaded = try Booster(serialized: bytes, threads: 1)
        XCTAssertEqual(loaded.featureCount, 4)
        XCTAssertEqual(try loaded.roundCount, 25)
        let before = try booster.margins(features: train.features, rowCount: train.rowCount)
        let after = try loaded.margins(features: train.features, rowCount: train.rowCount)
        XCTAssertEqual(before.count, train.rowCount)
        XCTAssert(before.allSatisfy(\.isFinite))
        XCTAssertEqual(before.map(\.bitPattern), after.map(\.bitPattern), "margins after serialize → load")
        XCTAssertEqual(try loaded.serialized(), bytes, "a loaded model saves the same bytes")
    }

    func testProbabilitiesAreTheSigmoidOfTheMargins() throws {
        let train = TestTable(rows: 800, seed: 41)
        let booster = try Booster.train(features: train.features, labels: train.labels, featureCount: 4,
                                        parameters: parameters(rounds: 20, earlyStopping: nil))
        let margins = try booster.margins(features: train.features, rowCount: train.rowCount)
        let probabilities = try booster.probabilities(features: train.features, rowCount: train.rowCount)
        let sigmoid = margins.map { 1 / (1 + exp(-Double($0))) }
        assertClose(probabilities.map(Double.init), sigmoid, tolerance: 1e-6, "probability vs σ(margin)")
        XCTAssert(margins.contains { $0 > 1 } && margins.contains { $0 < -1 }, "a range of margins")
    }

    func testContributionsSumToTheMargin() throws {
        var train = TestTable(rows: 600, featureCount: 5, seed: 51)
        for i in stride(from: 3, to: train.features.count, by: 11) { train.features[i] = .nan }
        let booster = try Booster.train(features: train.features, labels: train.labels, featureCount: 5,
                                        parameters: parameters(rounds: 20, earlyStopping: nil))
        let contributions = try booster.featureContributions(features: train.features, rowCount: train.rowCount)
        XCTAssertEqual(contributions.count, train.rowCount * 6)
        let margins = try booster.margins(features: train.features, rowCount: train.rowCount)
        let sums = (0..<train.rowCount).map { row in contributions[(row * 6)..<(row * 6 + 6)].reduce(0, +) }
        assertClose(sums, margins, tolerance: 1e-4, "Σ contributions vs margin")
        // The rule uses x0 and x1 only: they carry most of the attribution.
        let mean = (0..<6).map { f in (0..<train.rowCount).map { abs(contributions[$0 * 6 + f]) }.reduce(0, +) / Float(train.rowCount) }
        XCTAssert(mean[0] > 2 * mean[2] && mean[1] > 2 * mean[3], "mean |contribution| \(mean)")
    }

    func testWeightsShiftTheModel() throws {
        let train = TestTable(rows: 1000, seed: 55)
        let settings = parameters(rounds: 15, earlyStopping: nil)
        func meanProbability(weights: [Float]?) throws -> Double {
            let booster = try Booster.train(features: train.features, labels: train.labels, weights: weights, featureCount: 4,
                                            parameters: settings)
            let p = try booster.probabilities(features: train.features, rowCount: train.rowCount)
            return p.map(Double.init).reduce(0, +) / Double(p.count)
        }
        let unweighted = try meanProbability(weights: nil)
        let positivesHeavier = try meanProbability(weights: train.labels.map { $0 == 1 ? 5 : 1 })
        print("mean probability \(unweighted) unweighted, \(positivesHeavier) with positives weighted 5×")
        XCTAssertGreaterThan(positivesHeavier, unweighted + 0.1)
        XCTAssertThrowsError(try meanProbability(weights: train.labels.map { _ in 0 })) { error in
            XCTAssertEqual((error as? BoostingError)?.category, .badData, "\(error)")
        }
        XCTAssertThrowsError(try meanProbability(weights: train.labels.map { $0 == 1 ? .nan : 1 }))
    }

    func testWrongFeatureCountThrows() throws {
        let train = TestTable(rows: 200, seed: 61)
        let booster = try Booster.train(features: train.features, labels: train.labels, featureCount: 4,
                                        parameters: parameters(rounds: 3, earlyStopping: nil))
        let threeFeatures = Array(train.features.prefix(10 * 3))
        for predict in [booster.margins, booster.probabilities, booster.featureContributions] {
            XCTAssertThrowsError(try predict(threeFeatures, 10)) { error in
                XCTAssertEqual((error as? BoostingError)?.category, .invalidArgument, "\(error)")
                XCTAssert("\(error)".contains("3 features per row"), "\(error)")
            }
        }
        XCTAssertThrowsError(try booster.margins(features: [1, 2, 3, 4, .infinity, 6, 7, 8], rowCount: 2)) { error in
            XCTAssertEqual((error as? BoostingError)?.category, .badData, "\(error)")
        }
        XCTAssertEqual(try booster.margins(features: [], rowCount: 0), [])
        // Training checks its sizes and values too.
        XCTAssertThrowsError(try Booster.train(features: train.features, labels: train.labels, featureCount: 3))
        XCTAssertThrowsError(try Booster.train(features: train.features, labels: train.labels.map { $0 * 2 }, featureCount: 4))
        XCTAssertThrowsError(try Booster.train(features: train.features, labels: train.labels, weights: [1, 2], featureCount: 4))
        XCTAssertThrowsError(try Booster.train(features: train.features, labels: train.labels, featureCount: 4,
                                               validation: (Array(train.features.dropLast()), train.labels)))
    }

    func testParametersAreValidated() {
        for bad in [BoosterParameters(maxDepth: 0), BoosterParameters(learningRate: 0), BoosterParameters(subsample: 1.5),
                    BoosterParameters(colsampleByTree: .nan), BoosterParameters(lambda: -1), BoosterParameters(maxRounds: 0),
                    BoosterParameters(earlyStoppingRounds: 0), BoosterParameters(threads: 0)] {
            XCTAssertThrowsError(try bad.validate()) { error in
                XCTAssertEqual((error as? BoostingError)?.category, .invalidArgument, "\(error)")
            }
        }
        XCTAssertNoThrow(try BoosterParameters().validate())
    }

    func testShouldStopInterrupts() throws {
        let train = TestTable(rows: 200, seed: 71)
        var seen = 0
        XCTAssertThrowsError(try Booster.train(features: train.features, labels: train.labels, featureCount: 4,
                                               parameters: parameters(rounds: 50), progress: { _ in seen += 1 },
                                               shouldStop: { seen == 3 })) { error in
            XCTAssertEqual(error as? BoostingError, .interrupted(round: 3))
            XCTAssertEqual((error as? BoostingError)?.category, .interrupted)
        }
    }
}
