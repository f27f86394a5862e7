import Reports
import Baselines
import Features
import Snapshots
import Foundation
import XCTest
import _TestSupport

/// A model file written by churn-train loads with Python's `safetensors`: PyTorch names
/// and shapes, `format` and a `config` JSON with the documented sections. Skipped where python3
/// with `safetensors` and numpy is not installed (`pip install safetensors numpy`).
final class PythonSafetensorsTests: XCTestCase {
    func testModelFileLoadsWithPythonSafetensors() throws {
        guard try runPython(["-c", "import safetensors.numpy, numpy"]).status == 0 else {
            throw XCTSkip("python3 with safetensors and numpy is not installed")
        }
        let runner = try ToolRunner()
        defer { runner.remove() }
        let log = runner.path("events.csv"), model = runner.path("m.safetensors")
        XCTAssertEqual(try runner.run("churn-simulate", ["--customers", "150", "--days", "120", "--seed", "3", "--output", log]).status, 0)
        let train = try runner.run("churn-train", ["--events", log, "--model", model, "--hidden-size", "6", "--embedding-size", "3",
                                                   "--layers", "2", "--epochs", "1", "--max-events", "16", "--churn-event", "cancel",
                                                   "--value-column", "amount"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let script = """
        import json, sys
        from safetensors import safe_open
        from safetensors.numpy import load_file
        tensors = load_file(sys.argv[1])
        with safe_open(sys.argv[1], framework="numpy") as f:
            meta = f.metadata()
        config = json.loads(meta["config"])
        print(json.dumps({"format": meta["format"], "config_keys": sorted(config),
                          "calibration": sorted(config["calibration"]),
                          "shapes": {k: list(v.shape) for k, v in tensors.items()},
                          "dtypes": sorted({str(v.dtype) for v in tensors.values()})}))
        """
        let result = try runPython(["-c", script, model])
        XCTAssertEqual(result.status, 0, result.output)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], result.output)
        XCTAssertEqual(json["format"] as? String, "churn-forecaster/1")
        XCTAssertEqual(json["dtypes"] as? [String], ["float32", "uint8"], "F32 parameters and the U8 booster")
        XCTAssertEqual(json["calibration"] as? [String], ["a", "b"])
        let keys = Set(try XCTUnwrap(json["config_keys"] as? [String]))
        for key in ["calibration", "features", "labels", "hyperparameters", "baselines", "history"] {
            XCTAssert(keys.contains(key), "config lacks \(key): \(keys.sorted())")
        }
        let shapes = try XCTUnwrap(json["shapes"] as? [String: [Int]])
        let vocabulary = try XCTUnwrap(shapes["embedding.weight"]?.first)
        XCTAssertEqual(shapes["embedding.weight"], [vocabulary, 3])
        let input0 = try XCTUnwrap(shapes["lstm.weight_ih_l0"]?.last)
        XCTAssertEqual(shapes, [
            "embedding.weight": [vocabulary, 3],
            "lstm.weight_ih_l0": [24, input0], "lstm.weight_hh_l0": [24, 6], "lstm.bias_ih_l0": [24], "lstm.bias_hh_l0": [24],
            "lstm.weight_ih_l1": [24, 6], "lstm.weight_hh_l1": [24, 6], "lstm.bias_ih_l1": [24], "lstm.bias_hh_l1": [24],
            "head.weight": [1, 6], "head.bias": [1], "xgboost.model": [try XCTUnwrap(shapes["xgboost.model"]?.first)],
        ])
    }
}
