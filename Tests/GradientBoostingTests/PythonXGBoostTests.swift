import GradientBoosting
import _TestSupport
import Foundation
import XCTest

/// Models cross between Python's xgboost and this module both ways. The fixture
/// (`scripts/make_xgboost_fixture.py`) holds a model Python trained, its inputs (null for a
/// missing value) and Python's margins; the other direction runs python3 and is skipped where
/// python3 with xgboost and numpy is not installed (`pip install xgboost==1.7.4 numpy`).
final class PythonXGBoostTests: XCTestCase {
    struct Case: Decodable {
        var xgboost_version: String
        var rows: Int
        var feature_count: Int
        var features: [Float?]
        var margins: [Float]
    }

    func fixture() throws -> (model: [UInt8], case: Case, features: [Float]) {
        let script = "scripts/make_xgboost_fixture.py"
        let url = try XCTUnwrap(Bundle.module.url(forResource: "xgboost_python_model", withExtension: "json",
                                                  subdirectory: "Fixtures"), "fixture missing: run \(script)")
        let fixture = try loadFixture("xgboost_python_case", as: Case.self, in: .module, writtenBy: script)
        return (Array(try Data(contentsOf: url)), fixture, fixture.features.map { $0 ?? .nan })
    }

    func testPythonModelPredictsPythonsMargins() throws {
        let (model, fixture, features) = try fixture()
        XCTAssertEqual(features.count, fixture.rows * fixture.feature_count)
        XCTAssert(features.contains { $0.isNaN }, "the fixture has missing values")
        let booster = try Booster(serialized: model, threads: 1)
        XCTAssertEqual(booster.featureCount, fixture.feature_count)
        XCTAssertEqual(try booster.roundCount, 15)
        let margins = try booster.margins(features: features, rowCount: fixture.rows)
        XCTAssertEqual(margins.count, fixture.rows)
        print("fixture from xgboost \(fixture.xgboost_version)")
        assertClose(margins, fixture.margins, tolerance: 1e-6, "Swift vs Python margins")
    }

    func testSwiftModelLoadsInPython() throws {
        guard (try? runPython(["-c", "import xgboost, numpy"]))?.status == 0 else {
            throw XCTSkip("python3 with xgboost and numpy is not installed (pip install xgboost==1.7.4 numpy)")
        }
        let (_, fixture, features) = try fixture()
        let labels = (0..<fixture.rows).map { Float($0 % 3 == 0 ? 1 : 0) }
        let parameters = BoosterParameters(maxDepth: 3, learningRate: 0.3, maxRounds: 12, earlyStoppingRounds: nil, threads: 1)
        let booster = try Booster.train(features: features, labels: labels, featureCount: fixture.feature_count,
                                        parameters: parameters)
        let margins = try booster.margins(features: features, rowCount: fixture.rows)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xgb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let modelPath = directory.appendingPathComponent("model.json").path
        let inputPath = directory.appendingPathComponent("inputs.json").path
        try Data(booster.serialized()).write(to: URL(fileURLWithPath: modelPath))
        let inputs: [String: Any] = ["rows": fixture.rows, "feature_count": fixture.feature_count,
                                     "features": features.map { $0.isNaN ? NSNull() : Double($0) as Any }]
        try JSONSerialization.data(withJSONObject: inputs).write(to: URL(fileURLWithPath: inputPath))
        let script = """
        import json, sys
        import numpy as np
        import xgboost
        booster = xgboost.Booster()
        booster.load_model(bytearray(open(sys.argv[1], "rb").read()))
        inputs = json.load(open(sys.argv[2]))
        x = np.array([np.nan if v is None else v for v in inputs["features"]], dtype=np.float32)
        x = x.reshape(inputs["rows"], inputs["feature_count"])
        margins = booster.predict(xgboost.DMatrix(x, missing=np.nan), output_margin=True)
        print(json.dumps({"rounds": booster.num_boosted_rounds(), "features": booster.num_features(),
                          "margins": [float(v) for v in margins]}))
        """
        let result = try runPython(["-c", script, modelPath, inputPath], output: .standardOutput)
        XCTAssertEqual(result.status, 0, result.output)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], result.output)
        XCTAssertEqual(json["rounds"] as? Int, 12)
        XCTAssertEqual(json["features"] as? Int, fixture.feature_count)
        let python = try XCTUnwrap(json["margins"] as? [Double]).map { Float($0) }
        assertClose(python, margins, tolerance: 1e-6, "Python vs Swift margins of the Swift model")
    }
}
