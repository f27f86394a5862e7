import Baselines
import ChurnSupport
import Foundation
import GradientBoosting
import TensorKit
import XCTest
@testable import Pipelines

/// The stacking weights: the fit, the conversion to raw score units, and the cross-fitting.
final class EnsembleWeightsTests: XCTestCase {
    /// Two scores with known log-odds contributions and labels drawn from them.
    func synthetic(_ n: Int, seed: UInt64) -> (lstm: [Float], margins: [Float], labels: [Bool], groups: [Int32]) {
        var rng = SeededGenerator(seed: seed)
        var lstm: [Float] = [], margins: [Float] = [], labels: [Bool] = [], groups: [Int32] = []
        for i in 0..<n {
            let a = Float(rng.nextDouble() * 4 - 2), b = Float(rng.nextDouble() * 6 - 1)
            let z = 0.8 * Double(a) + 0.5 * Double(b) - 1.2
            lstm.append(a)
            margins.append(b)
            labels.append(rng.nextDouble() < 1 / (1 + exp(-z)))
            groups.append(Int32(i / 2))   // two rows per customer
        }
        return (lstm, margins, labels, groups)
    }

    func testWeightsInRawUnitsReproduceTheRegression() throws {
        let d = synthetic(4000, seed: 3)
        let w = try EnsembleWeights.fit(lstmLogits: d.lstm, margins: d.margins, labels: d.labels)
        let regression = try LogisticRegression.fit(features: zip(d.lstm, d.margins).map { [Double($0), Double($1)] },
                                                    labels: d.labels, featureNames: ["lstm", "xgboost"], c: 100)
        for i in stride(from: 0, to: 4000, by: 97) {
            let expected = try regression.predictProbability(features: [Double(d.lstm[i]), Double(d.margins[i])])
            XCTAssertEqual(w.probability(lstm: d.lstm[i], xgboost: d.margins[i]), expected, accuracy: 1e-12)
        }
        // The generating weights are recovered (4000 rows: within a few standard errors).
        XCTAssertEqual(w.weights.lstm, 0.8, accuracy: 0.15)
        XCTAssertEqual(w.weights.xgboost, 0.5, accuracy: 0.1)
        XCTAssertEqual(w.bias, -1.2, accuracy: 0.2)
        XCTAssertTrue(w.isFinite)
    }

    /// A row's cross-fitted probability never depends on its own label (nor on those of its
    /// customer's other rows); an in-sample fit would.
    func testCrossFittedProbabilitiesIgnoreTheirOwnLabels() throws {
        let d = synthetic(600, seed: 5)
        let fallback = try EnsembleWeights.fit(lstmLogits: d.lstm, margins: d.margins, labels: d.labels)
        let base = EnsembleWeights.crossFitted(lstmLogits: d.lstm, margins: d.margins, labels: d.labels, groups: d.groups,
                                               seed: 1, fallback: fallback)
        XCTAssertTrue(base.allSatisfy { $0.isFinite && $0 > 0 && $0 < 1 })
        for customer in [0, 17, 123, 299] {
            var flipped = d.labels
            flipped[2 * customer].toggle()
            flipped[2 * customer + 1].toggle()
            let other = EnsembleWeights.crossFitted(lstmLogits: d.lstm, margins: d.margins, labels: flipped, groups: d.groups,
                                                    seed: 1, fallback: fallback)
            XCTAssertEqual(other[2 * customer], base[2 * customer], "customer \(customer)")
            XCTAssertEqual(other[2 * customer + 1], base[2 * customer + 1])
            XCTAssertNotEqual(other, base, "the flipped labels do change the other folds")
        }
    }

    func testOneClassThrows() {
        XCTAssertThrowsError(try EnsembleWeights.fit(lstmLogits: [0, 1, 2], margins: [1, 2, 3], labels: [true, true, true]))
    }
}

/// The trained forecaster with its booster, through the executables.
final class ForecastEnsembleTests: ToolTestCase {
    static let training = ["--hidden-size", "8", "--embedding-size", "4", "--max-events", "32", "--epochs", "2",
                           "--batch-size", "32", "--churn-event", "cancel", "--horizon", "30d", "--value-column", "amount",
                           "--threads", "2"]

    func prepared() throws -> (log: String, model: String) {
        let log = runner.path("events.csv"), model = runner.path("model.safetensors")
        if FileManager.default.fileExists(atPath: model) { return (log, model) }
        let sim = try runner.run("churn-simulate", ["--customers", "300", "--days", "150", "--seed", "9", "--output", log])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let train = try runner.run("churn-train", ["--events", log, "--model", model] + Self.training)
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssert(train.stderr.contains("XGBoost:") && train.stderr.contains("ensemble: logit ="), train.stderr)
        XCTAssert(train.stdout.contains("validation log loss"), train.stdout)
        return (log, model)
    }

    func testTheModelFileHoldsTheBoosterTabularSpecAndWeights() throws {
        let (_, path) = try prepared()
        let file = try SafeTensors.read(from: URL(fileURLWithPath: path))
        let tensor = try XCTUnwrap(file.tensors[BoostedTrees.tensorName])
        XCTAssertEqual(tensor.dtype, .u8)
        let model = try ForecastModel.read(from: URL(fileURLWithPath: path))
        let boosted = try XCTUnwrap(model.boosted)
        XCTAssertEqual(try tensor.bytes(), try boosted.booster.serialized(), "the tensor is the booster's JSON model")
        XCTAssertEqual(boosted.booster.featureCount, boosted.spec.featureCount)
        XCTAssertEqual(model.defaultScorer, .ensemble)
        let config = try XCTUnwrap(file.metadata["config"])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(config.utf8)) as? [String: Any])
        let ensemble = try XCTUnwrap(json["ensemble"] as? [String: Any])
        let weights = try XCTUnwrap(ensemble["weights"] as? [String: Double])
        XCTAssertEqual(Set(weights.keys), ["lstm", "xgboost"])
        XCTAssertNotNil(ensemble["bias"] as? Double)
        XCTAssertNotNil((json["tabular"] as? [String: Any])?["featureNames"])

        // Round trip: written again, the file reads back to the same parts.
        let copy = runner.path("copy.safetensors")
        try model.write(to: URL(fileURLWithPath: copy), toolVersion: "test")
        let again = try ForecastModel.read(from: URL(fileURLWithPath: copy))
        XCTAssertEqual(try again.boosted!.booster.serialized(), try boosted.booster.serialized())
        XCTAssertEqual(again.boosted!.spec, boosted.spec)
        XCTAssertEqual(again.boosted!.record, boosted.record)
        XCTAssertEqual(again.ensemble, model.ensemble)
    }

    /// The CSV's probabilities are the documented formula applied to the dumped raw outputs, and
    /// each `--scorer` writes its own part.
    func testPredictionsAreTheStackingFormulaOfTheDumpedParts() throws {
        let (log, path) = try prepared()
        let model = try ForecastModel.read(from: URL(fileURLWithPath: path))
        let weights = try XCTUnwrap(model.ensemble)
        let dumpPath = runner.path("dump.safetensors")
        var outputs: [ScorerChoice: [String: Double]] = [:]
        for choice in ScorerChoice.allCases {
            let result = try runner.run("churn-predict", ["--model", path, "--events", log, "--scorer", choice.rawValue]
                                        + (choice == .ensemble ? ["--dump-features", dumpPath] : []))
            XCTAssertEqual(result.status, 0, result.stderr)
            outputs[choice] = Dictionary(uniqueKeysWithValues: result.stdout.split(separator: "\n").dropFirst().map { line in
                let parts = line.split(separator: ",")
                return (String(parts[0]), Double(parts[1])!)
            })
        }
        let dump = try SafeTensors.read(from: URL(fileURLWithPath: dumpPath))
        let ids = try JSONDecoder().decode([String].self, from: Data(dump.metadata["customers"]!.utf8))
        let logits = try dump.tensors["logits"]!.floats(), margins = try dump.tensors["xgboost_margins"]!.floats()
        let names = try JSONDecoder().decode([String].self, from: Data(XCTUnwrap(dump.metadata["tabular_features"]).utf8))
        XCTAssertEqual(names, model.boosted!.spec.featureNames)
        XCTAssertEqual(dump.tensors["tabular"]!.shape, [ids.count, names.count])
        XCTAssertFalse(ids.isEmpty)
        var differs = 0
        for (k, id) in ids.enumerated() {
            let z = weights.weights.lstm * Double(logits[k]) + weights.weights.xgboost * Double(margins[k]) + weights.bias
            XCTAssertEqual(outputs[.ensemble]![id]!, 1 / (1 + exp(-z)), accuracy: 6e-7, id)
            XCTAssertEqual(outputs[.xgboost]![id]!, 1 / (1 + exp(-Double(margins[k]))), accuracy: 6e-7, id)
            XCTAssertEqual(outputs[.lstm]![id]!, model.calibration.probability(logit: logits[k]), accuracy: 6e-7, id)
            if abs(outputs[.ensemble]![id]! - outputs[.lstm]![id]!) > 1e-4 { differs += 1 }
        }
        XCTAssertGreaterThan(differs, ids.count / 2, "the ensemble is not the LSTM under another name")
        // The booster reproduces its margins from the dumped table.
        let tabular = try dump.tensors["tabular"]!.floats()
        XCTAssertEqual(try model.boosted!.booster.margins(features: tabular, rowCount: ids.count), margins)
    }

    func testEvaluateComparesTheHeadlineWithEveryModelOnAUCAndLogLoss() throws {
        let (log, path) = try prepared()
        let report = runner.path("report")
        let result = try runner.run("churn-evaluate", ["--model", path, "--events", log, "--report", report, "--bootstrap", "200"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report + "/metrics.json"))) as? [String: Any])
        XCTAssertEqual(json["headline"] as? String, "ensemble")
        let models = try XCTUnwrap(json["models"] as? [String: Any])
        XCTAssertEqual(Set(models.keys), Set(ModelRegistry.order))
        let differences = try XCTUnwrap(json["differences"] as? [String: [String: Any]])
        XCTAssertEqual(Set(differences.keys), Set(ModelRegistry.order).subtracting(["ensemble"]))
        for name in ["lstm", "xgboost", "aggregate_logistic", "rfm_logistic"] {
            let d = try XCTUnwrap(differences[name])
            let diff = try XCTUnwrap(d["log_loss_diff"] as? Double, name)
            let ensembleLoss = try XCTUnwrap((models["ensemble"] as? [String: Any])?["log_loss"] as? Double)
            let otherLoss = try XCTUnwrap((models[name] as? [String: Any])?["log_loss"] as? Double)
            XCTAssertEqual(diff, ensembleLoss - otherLoss, accuracy: 1e-9, name)
            let ci = try XCTUnwrap(d["log_loss_diff_ci95"] as? [Double])
            XCTAssertTrue(ci[0] <= diff && diff <= ci[1], "\(name): \(ci) around \(diff)")
        }
        XCTAssertTrue(differences["recency"]?["log_loss_diff"] is NSNull, "a ranking rule has no log-loss difference")
        let verdict = try XCTUnwrap(json["verdict"] as? String)
        XCTAssert(verdict.hasPrefix("The Ensemble (LSTM + XGBoost)"), verdict)
        XCTAssert(verdict.contains(" Log loss ") && verdict.contains("95% interval"), verdict)
        XCTAssert(result.stdout.contains("Ensemble − model AUC"), result.stdout)

        // --scorer lstm makes the LSTM the headline of the same comparison.
        let lstm = try runner.run("churn-evaluate", ["--model", path, "--events", log, "--scorer", "lstm", "--bootstrap", "50",
                                                     "--report", runner.path("report-lstm")])
        XCTAssertEqual(lstm.status, 0, lstm.stderr)
        let lstmJSON = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: runner.path("report-lstm/metrics.json")))) as? [String: Any])
        XCTAssertEqual(lstmJSON["headline"] as? String, "lstm")
        XCTAssertNotNil((lstmJSON["differences"] as? [String: Any])?["ensemble"])
    }

    func testWithoutXGBoostTheLSTMIsTheHeadlineAndXGBoostIsRefused() throws {
        let (log, _) = try prepared()
        let path = runner.path("plain.safetensors")
        let train = try runner.run("churn-train", ["--events", log, "--model", path, "--no-xgboost"] + Self.training)
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertNil(try SafeTensors.read(from: URL(fileURLWithPath: path)).tensors[BoostedTrees.tensorName])
        let model = try ForecastModel.read(from: URL(fileURLWithPath: path))
        XCTAssertNil(model.boosted)
        XCTAssertEqual(model.defaultScorer, .lstm)
        let refused = try runner.run("churn-predict", ["--model", path, "--events", log, "--scorer", "xgboost"])
        XCTAssertEqual(refused.status, 64, refused.stderr)
        XCTAssert(refused.stderr.contains("trained without XGBoost"), refused.stderr)
    }

    /// A damaged booster, or a booster without its tabular spec, is refused with exit 65 and a
    /// message naming the tensor or section.
    func testCorruptOrIncompleteBoosterIsRefused() throws {
        let (log, path) = try prepared()
        let file = try SafeTensors.read(from: URL(fileURLWithPath: path))
        let bytes = try file.tensors[BoostedTrees.tensorName]!.bytes()
        var cases: [(String, SafeTensors.File, String)] = []
        var truncated = file
        truncated.tensors[BoostedTrees.tensorName] = .init(bytes: Array(bytes.prefix(bytes.count / 2)))
        cases.append(("truncated", truncated, "xgboost.model"))
        var garbage = file
        garbage.tensors[BoostedTrees.tensorName] = .init(bytes: Array("{\"learner\": 1}".utf8))
        cases.append(("garbage", garbage, "xgboost.model"))
        var wrongType = file
        wrongType.tensors[BoostedTrees.tensorName] = .init(floats: [1, 2, 3], shape: [3])
        cases.append(("wrong dtype", wrongType, "xgboost.model"))
        var missing = file
        missing.tensors[BoostedTrees.tensorName] = nil
        cases.append(("missing tensor", missing, "'tabular'"))
        var noSpec = file
        var config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(file.metadata["config"]!.utf8)) as? [String: Any])
        config["tabular"] = nil
        noSpec.metadata["config"] = String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)
        cases.append(("missing spec", noSpec, "'tabular'"))
        for (name, damaged, mention) in cases {
            let out = runner.path("damaged-\(name.replacingOccurrences(of: " ", with: "-")).safetensors")
            try SafeTensors.write(damaged, to: URL(fileURLWithPath: out))
            let result = try runner.run("churn-predict", ["--model", out, "--events", log])
            XCTAssertEqual(result.status, 65, "\(name): \(result.stderr)")
            XCTAssert(result.stderr.contains(mention), "\(name): \(result.stderr)")
            XCTAssertLessThanOrEqual(result.stderr.split(separator: "\n").count, 2, result.stderr)
        }
    }
}
