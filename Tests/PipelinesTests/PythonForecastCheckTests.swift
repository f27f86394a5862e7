import Foundation
import XCTest
import _TestSupport

/// `scripts/pytorch_check.py` recomputes the whole forecast of a model written by churn-train
/// (the LSTM in PyTorch, the booster in Python's xgboost, the stacking formula) from
/// `churn-predict --dump-features` and agrees with churn-predict for every scorer. Skipped where
/// python3 with torch, xgboost, safetensors and numpy is not installed
/// (`pip install torch numpy safetensors xgboost==1.7.4`).
final class PythonForecastCheckTests: XCTestCase {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/pytorch_check.py")

    func testPyTorchCheckRecomputesEveryScorer() throws {
        try requirePython()
        let runner = try ToolRunner()
        defer { runner.remove() }
        let log = runner.path("events.csv"), model = runner.path("m.safetensors")
        let sim = try runner.run("churn-simulate", ["--customers", "300", "--days", "150", "--seed", "11", "--output", log])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let train = try runner.run("churn-train", ["--events", log, "--model", model, "--hidden-size", "8", "--embedding-size", "4",
                                                   "--max-events", "32", "--epochs", "2", "--batch-size", "32",
                                                   "--churn-event", "cancel", "--horizon", "30d", "--value-column", "amount"])
        XCTAssertEqual(train.status, 0, train.stderr)
        for scorer in ["ensemble", "lstm", "xgboost"] {
            let features = runner.path("features-\(scorer).safetensors"), predictions = runner.path("p-\(scorer).csv")
            let predict = try runner.run("churn-predict", ["--model", model, "--events", log, "--scorer", scorer,
                                                           "--output", predictions, "--dump-features", features])
            XCTAssertEqual(predict.status, 0, predict.stderr)
            let check = try runPython([Self.script.path, "--model", model, "--features", features, "--predictions", predictions,
                                       "--scorer", scorer, "--tolerance", "1e-5"])
            XCTAssertEqual(check.status, 0, "pytorch_check.py --scorer \(scorer) failed:\n\(check.output)")
            XCTAssert(check.output.contains("max |xgboost margin difference|"), check.output)
            XCTAssert(check.output.contains("max |\(scorer) probability difference|"), check.output)
            XCTAssert(check.output.contains("OK: the model file is plain PyTorch plus an XGBoost booster"), check.output)
        }
    }

    /// The attribute inputs, recomputed by the script from the raw log and customer table as of
    /// a cutoff with later values in the log (so reading past the cutoff would show).
    func testPyTorchCheckRecomputesTheAttributeInputs() throws {
        try requirePython(modules: "torch, xgboost, safetensors.numpy, numpy, pandas")
        let runner = try ToolRunner()
        defer { runner.remove() }
        let log = runner.path("events.csv"), customers = runner.path("customers.csv"), model = runner.path("m.safetensors")
        let data = AttributeEndToEndTests.makeData()
        try data.log.write(toFile: log, atomically: true, encoding: .utf8)
        try data.customers.write(toFile: customers, atomically: true, encoding: .utf8)
        let train = try runner.run("churn-train", ["--events", log, "--model", model, "--attribute-column", "plan", "--customers", customers]
                                   + AttributeEndToEndTests.training)
        XCTAssertEqual(train.status, 0, train.stderr)
        let features = runner.path("features.safetensors"), predictions = runner.path("p.csv")
        let predict = try runner.run("churn-predict", ["--model", model, "--events", log, "--customers", customers, "--as-of", "2024-04-10",
                                                       "--output", predictions, "--dump-features", features])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        let check = try runPython([Self.script.path, "--model", model, "--features", features, "--predictions", predictions,
                                   "--events", log, "--customers", customers])
        XCTAssertEqual(check.status, 0, "pytorch_check.py failed:\n\(check.output)")
        XCTAssert(check.output.contains("attributes: plan, channel, seats (11 inputs)"), check.output)
        XCTAssert(check.output.contains("max |attribute input difference| (LSTM cutoff step)"), check.output)
        XCTAssert(check.output.contains("max |attribute input difference| (XGBoost table)"), check.output)
    }

    /// Skips unless python3 can import `modules`.
    func requirePython(modules: String = "torch, xgboost, safetensors.numpy, numpy") throws {
        let probe: (status: Int32, output: String)
        do { probe = try runPython(["-c", "import \(modules)"]) } catch {
            throw XCTSkip("python3 cannot be run: \(error)")
        }
        guard probe.status != 127 else { throw XCTSkip("python3 is not on PATH: \(probe.output)") }
        guard probe.status == 0 else {
            throw XCTSkip("python3 cannot import \(modules): \(probe.output)")
        }
        XCTAssert(FileManager.default.fileExists(atPath: Self.script.path), "no script at \(Self.script.path)")
    }
}
