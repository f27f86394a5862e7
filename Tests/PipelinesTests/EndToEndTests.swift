import Reports
import Baselines
import Features
import Snapshots
import EventLog
import Foundation
import TensorKit
import XCTest
@testable import Pipelines

/// The executables on a small simulated log: train → predict → evaluate, exit codes, shards,
/// interruption and resume.
final class EndToEndTests: ToolTestCase {
    static let smallTraining = ["--hidden-size", "8", "--embedding-size", "4", "--max-events", "32", "--epochs", "2",
                                "--batch-size", "32", "--churn-event", "cancel", "--horizon", "30d", "--value-column", "amount"]

    /// A small log and a model trained on it, made once for the whole class.
    func prepared() throws -> (log: String, model: String) {
        let log = runner.path("events.csv"), model = runner.path("model.safetensors")
        if FileManager.default.fileExists(atPath: model) { return (log, model) }
        let sim = try runner.run("churn-simulate", ["--customers", "250", "--days", "150", "--seed", "5", "--output", log])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let train = try runner.run("churn-train", ["--events", log, "--model", model] + Self.smallTraining)
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssert(train.stdout.contains("validation AUC"), train.stdout)
        return (log, model)
    }

    func testTrainWritesALoadableModelWithBaselinesAndHistory() throws {
        let (_, model) = try prepared()
        let loaded = try ForecastModel.read(from: URL(fileURLWithPath: model))
        XCTAssertEqual(loaded.network.shape.hiddenSize, 8)
        XCTAssertEqual(loaded.features.maxEvents, 32)
        XCTAssertEqual(loaded.data.churnDefinition, .event("cancel"))
        XCTAssertNotNil(loaded.baselines)
        XCTAssertEqual(loaded.history.count, 2)
        XCTAssertEqual(loaded.data.columns.values, ["amount"])
    }

    /// Same data, seed and threads → byte-identical tensors (only the creation time differs).
    func testTrainingIsDeterministic() throws {
        let (log, _) = try prepared()
        var tensors: [[String: SafeTensors.Entry]] = []
        for run in 0..<2 {
            let path = runner.path("deterministic\(run).safetensors")
            let result = try runner.run("churn-train", ["--events", log, "--model", path, "--threads", "1"] + Self.smallTraining)
            XCTAssertEqual(result.status, 0, result.stderr)
            tensors.append(try SafeTensors.read(from: URL(fileURLWithPath: path)).tensors)
        }
        XCTAssertEqual(tensors[0].count, 8, "seven parameters and the booster")
        XCTAssertEqual(tensors[0], tensors[1])
    }

    func predictions(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    func testPredictGivesOneDeterministicRowPerCustomerAndShardsCoverEveryone() throws {
        let (log, model) = try prepared()
        let first = try runner.run("churn-predict", ["--model", model, "--events", log])
        XCTAssertEqual(first.status, 0, first.stderr)
        let rows = predictions(first.stdout)
        XCTAssertEqual(rows.first, "customer_id,churn_probability")
        let ids = rows.dropFirst().map { String($0.split(separator: ",")[0]) }
        XCTAssertEqual(ids.count, Set(ids).count, "a customer appears twice")
        XCTAssertEqual(ids.count, 250, "every simulated customer has history before the default as-of")
        XCTAssertEqual(ids, ids.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        for row in rows.dropFirst() {
            let p = try XCTUnwrap(Double(row.split(separator: ",")[1]))
            XCTAssert(p >= 0 && p <= 1)
        }
        let again = try runner.run("churn-predict", ["--model", model, "--events", log])
        XCTAssertEqual(again.stdout, first.stdout, "output is not deterministic")

        var union: [String] = []
        for shard in 0..<3 {
            let part = try runner.run("churn-predict", ["--model", model, "--events", log, "--shard", "\(shard)/3"])
            XCTAssertEqual(part.status, 0, part.stderr)
            union += predictions(part.stdout).dropFirst()
        }
        XCTAssertEqual(union.sorted(), rows.dropFirst().sorted(), "shards 0..2 together must equal the unsharded output exactly")

        let jsonl = try runner.run("churn-predict", ["--model", model, "--events", log, "--format", "jsonl",
                                                     "--output", runner.path("p.jsonl")])
        XCTAssertEqual(jsonl.status, 0, jsonl.stderr)
        let lines = try String(contentsOfFile: runner.path("p.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 250)
        let object = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        XCTAssertNotNil(object?["churn_probability"] as? Double)
    }

    /// The worked scaling-out example: three shards as separate processes, their union checked
    /// against the unsharded output by the script itself.
    func testShardedScoringScriptChecksTheUnion() throws {
        let (log, model) = try prepared()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/score_sharded.sh")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path, "3", model, runner.path("sharded.csv"), log]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["CHECK": "1", "PREDICT": try ToolRunner.executable("churn-predict").path]) { $1 }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, stderr)
        XCTAssert(stderr.contains("check: the union of the 3 shards equals the unsharded output exactly (250 rows)"), stderr)
        let lines = try String(contentsOfFile: runner.path("sharded.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 251)
    }

    func testPredictMapsUnseenEventTypesAndHandlesAnEmptySnapshot() throws {
        let (log, model) = try prepared()
        var text = try String(contentsOfFile: log, encoding: .utf8)
        text += "c000001,2024-05-20T10:00:00Z,brand_new_event_type,\n"
        text += "zz_only_bad_rows,2024-05-20T25:61:00Z,login,\n"
        let extended = runner.path("extended.csv")
        try text.write(toFile: extended, atomically: true, encoding: .utf8)
        let scored = try runner.run("churn-predict", ["--model", model, "--events", extended])
        XCTAssertEqual(scored.status, 0, scored.stderr)
        XCTAssertEqual(predictions(scored.stdout).count, 251)
        // A customer whose rows were all bad cannot be scored: it is counted and named on stderr.
        XCTAssert(scored.stderr.contains("1 customer(s) had only bad rows and are left out: zz_only_bad_rows"), scored.stderr)
        XCTAssertFalse(scored.stdout.contains("zz_only_bad_rows"))

        let empty = try runner.run("churn-predict", ["--model", model, "--events", log, "--as-of", "2000-01-01"])
        XCTAssertEqual(empty.status, 0, empty.stderr)
        XCTAssertEqual(empty.stdout, "customer_id,churn_probability\n")
        XCTAssert(empty.stderr.contains("warning"), empty.stderr)
    }

    func testEvaluateWritesMetricsWithIntervalsAndAReport() throws {
        let (log, model) = try prepared()
        let report = runner.path("report")
        let result = try runner.run("churn-evaluate", ["--model", model, "--events", log, "--report", report, "--bootstrap", "200"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssert(result.stdout.contains("aggregate_logistic"), result.stdout)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report + "/metrics.json"))) as! [String: Any]
        for key in ["cutoff", "horizon_days", "churn_definition", "customers", "churn_rate", "models", "differences"] {
            XCTAssertNotNil(json[key], "metrics.json lacks \(key)")
        }
        let models = try XCTUnwrap(json["models"] as? [String: Any])
        XCTAssertEqual(Set(models.keys), Set(ModelRegistry.order), "every registered model is compared")
        let lstm = try XCTUnwrap(models["lstm"] as? [String: Any])
        XCTAssertEqual((lstm["roc_auc_ci95"] as? [Double])?.count, 2)
        XCTAssertNotNil(lstm["log_loss"] as? Double)
        // Under a churn event BG/NBD's probability (of no activity) is no probability of the label:
        // it is compared as a ranking, like the recency rule.
        for name in ["bg_nbd", "recency"] {
            let metrics = try XCTUnwrap(models[name] as? [String: Any])
            XCTAssertNotNil(metrics["roc_auc"] as? Double, name)
            for key in ["log_loss", "brier", "ece"] { XCTAssertTrue(metrics[key] is NSNull, "\(name) \(key) must be null") }
        }
        let html = try String(contentsOfFile: report + "/report.html", encoding: .utf8)
        XCTAssert(html.contains("<svg") && html.contains(json["verdict"] as! String))
        XCTAssert(try String(contentsOfFile: report + "/report.md", encoding: .utf8).contains("ROC AUC"))
    }

    func testExitCodesForBadInvocations() throws {
        let (log, model) = try prepared()
        XCTAssertEqual(try runner.run("churn-predict", ["--model", model, "--events", runner.path("missing.csv")]).status, 66)
        XCTAssertEqual(try runner.run("churn-predict", ["--model", model, "--event", log]).status, 64)
        XCTAssertEqual(try runner.run("churn-train", ["--events", log, "--epochs", "zero"]).status, 64)
        let corrupt = runner.path("corrupt.safetensors")
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: corrupt))
        let refused = try runner.run("churn-predict", ["--model", corrupt, "--events", log])
        XCTAssertEqual(refused.status, 65)
        XCTAssert(refused.stderr.contains("corrupt.safetensors"), refused.stderr)
        XCTAssertLessThanOrEqual(refused.stderr.split(separator: "\n").count, 2, refused.stderr)
        let absurd = runner.path("absurd.safetensors")
        let diverged = try runner.run("churn-train", ["--events", log, "--model", absurd, "--learning-rate", "10", "--clip-norm", "0", "--weight-decay", "0", "--dropout", "0"]
                                      + Self.smallTraining.filter { $0 != "2" && $0 != "--epochs" } + ["--epochs", "5", "--layers", "2", "--average-decay", "0"])
        XCTAssertEqual(diverged.status, 65, diverged.stderr)
        XCTAssert(diverged.stderr.contains("lower --learning-rate"), diverged.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: absurd), "no model is written after divergence")
        let help = try runner.run("churn-train", ["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssert(help.stdout.contains("--learning-rate"))
    }

    /// Interrupt (deterministically, after 7 batches) and --resume: the same final model as an
    /// uninterrupted run with --threads 1.
    func testResumedTrainingReachesTheUninterruptedModel() throws {
        let (log, _) = try prepared()
        let training = ["--threads", "1", "--hidden-size", "8", "--embedding-size", "4", "--max-events", "32", "--epochs", "3",
                        "--patience", "10", "--batch-size", "16", "--churn-event", "cancel", "--horizon", "30d", "--events", log]
        let reference = runner.path("reference.safetensors"), resumed = runner.path("resumed.safetensors")
        XCTAssertEqual(try runner.run("churn-train", training + ["--model", reference]).status, 0)
        let stopped = try runner.run("churn-train", training + ["--model", resumed],
                                     environment: ["CHURN_TEST_INTERRUPT_AFTER_BATCHES": "7"])
        XCTAssertEqual(stopped.status, 130, stopped.stderr)
        XCTAssert(stopped.stderr.contains("checkpoint written"), stopped.stderr)
        let finished = try runner.run("churn-train", training + ["--model", resumed, "--resume"])
        XCTAssertEqual(finished.status, 0, finished.stderr)
        XCTAssert(finished.stderr.contains("resuming from"), finished.stderr)
        XCTAssertEqual(try SafeTensors.read(from: URL(fileURLWithPath: resumed)).tensors,
                       try SafeTensors.read(from: URL(fileURLWithPath: reference)).tensors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: resumed + ".checkpoint"), "the checkpoint is removed after success")
    }

    func testInterruptedTrainingCheckpointsAndResumes() throws {
        let (log, _) = try prepared()
        let model = runner.path("interrupted.safetensors")
        let arguments = ["--events", log, "--model", model, "--hidden-size", "8", "--embedding-size", "4", "--max-events", "32",
                         "--epochs", "400", "--patience", "400", "--batch-size", "16", "--churn-event", "cancel", "--horizon", "30d",
                         // The LSTM's checkpoints are the subject: without the booster the signal cannot land in
                         // boosting on a slow (debug, loaded) machine.
                         "--no-xgboost"]
        let interrupted = try runner.run("churn-train", arguments) { process in
            usleep(2_500_000)
            kill(process.processIdentifier, SIGINT)
        }
        XCTAssertEqual(interrupted.status, 130, interrupted.stderr)
        XCTAssert(FileManager.default.fileExists(atPath: model + ".checkpoint"), interrupted.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: model))
        let resumed = try runner.run("churn-train", arguments.map { $0 == "400" ? "401" : $0 } + ["--resume"])
        XCTAssertEqual(resumed.status, 64, "other options must refuse the checkpoint: \(resumed.stderr)")
        let finished = try runner.run("churn-train", arguments + ["--resume"], timeout: 30) { process in
            usleep(1_500_000)
            kill(process.processIdentifier, SIGTERM)
        }
        // The resumed run continues where the first stopped (and SIGTERM checkpoints like Ctrl-C).
        XCTAssertEqual(finished.status, 130, finished.stderr)
        XCTAssert(finished.stderr.contains("resuming from"), finished.stderr)
        XCTAssert(FileManager.default.fileExists(atPath: model + ".checkpoint"))
    }
}
