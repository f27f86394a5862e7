import Foundation
import TensorKit
import XCTest

/// `mpirun -n N churn-train` trains the model one process trains: bit for bit with one process
/// under mpirun, and within the order of floating-point sums with two.
final class DistributedEndToEndTests: ToolTestCase {
    /// Open MPI's launcher; the test is skipped, saying why, where it is not installed.
    static func requireMPIRun() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let found = path.split(separator: ":").map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let found else {
            throw XCTSkip("mpirun is not installed (Debian: apt-get install openmpi-bin); data-parallel training is not tested")
        }
        return found
    }

    /// Lets root run mpirun (CI runs as root) and two processes share one core.
    static let environment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1"]

    func testTwoProcessesTrainTheModelOfOneWithinTheStatedTolerance() throws {
        let mpirun = try Self.requireMPIRun()
        let log = runner.path("log.csv")
        let sim = try runner.run("churn-simulate", ["--customers", "400", "--days", "200", "--seed", "9", "--output", log])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let flags = ["--events", log, "--value-column", "amount", "--churn-event", "cancel", "--horizon", "30d",
                     "--snapshots", "2", "--epochs", "2", "--batch-size", "16", "--hidden-size", "8", "--embedding-size", "4",
                     "--max-events", "48", "--xgboost-rounds", "20", "--threads", "1"]
        let plain = try runner.run("churn-train", flags + ["--model", runner.path("plain.safetensors")])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let environment = Self.environment
        var models: [Int: String] = [:]
        for processes in [1, 2] {
            let model = runner.path("n\(processes).safetensors")
            let run = try runner.run("churn-train", flags + ["--model", model], environment: environment, timeout: 300,
                                     wrapper: [mpirun, "-n", "\(processes)"])
            XCTAssertEqual(run.status, 0, "mpirun -n \(processes): \(run.stderr)")
            if processes == 2 {
                XCTAssertTrue(run.stderr.contains("data-parallel over 2 processes"), run.stderr)
                // Process 1 trains silently: one result line, one "wrote".
                XCTAssertEqual(run.stdout.components(separatedBy: "wrote ").count, 2, run.stdout)
            }
            models[processes] = model
        }
        let reference = try SafeTensors.read(from: URL(fileURLWithPath: runner.path("plain.safetensors"))).tensors
        let one = try SafeTensors.read(from: URL(fileURLWithPath: models[1]!)).tensors
        let two = try SafeTensors.read(from: URL(fileURLWithPath: models[2]!)).tensors
        XCTAssertEqual(Set(one.keys), Set(reference.keys))
        XCTAssertEqual(Set(two.keys), Set(reference.keys))
        for (name, entry) in reference {
            XCTAssertEqual(one[name], entry, "\(name): one process under mpirun differs from a plain run")
        }
        var largest: Float = 0, compared = 0
        for (name, entry) in reference {
            guard let other = two[name] else { continue }
            if entry.dtype == .f32 {
                let a = try entry.floats(), b = try other.floats()
                XCTAssertEqual(a.count, b.count, name)
                XCTAssertTrue(a.allSatisfy(\.isFinite) && b.allSatisfy(\.isFinite), "\(name) is not finite")
                for (x, y) in zip(a, b) { largest = max(largest, abs(x - y)) }
                compared += a.count
            } else {
                XCTAssertEqual(other, entry, "\(name) differs with two processes")
            }
        }
        print("mpirun -n 2: largest weight difference from one process \(largest) over \(compared) values")
        XCTAssertGreaterThan(compared, 1000)
        // The stated tolerance (README): 1e-5 per weight after a short run.
        XCTAssertLessThanOrEqual(largest, 1e-5)
    }

    /// Process 0 alone is asked to stop (as by Ctrl-C on one node): both processes stop after the
    /// same batch, process 0 writes the checkpoint, and `--resume` under mpirun finishes.
    func testAStopAskedOfOneProcessStopsAllAfterTheSameBatchAndResumes() throws {
        let mpirun = try Self.requireMPIRun()
        let log = runner.path("stop.csv")
        let sim = try runner.run("churn-simulate", ["--customers", "300", "--days", "200", "--seed", "4", "--output", log])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let model = runner.path("stop.safetensors")
        let flags = ["--events", log, "--value-column", "amount", "--churn-event", "cancel", "--horizon", "30d", "--epochs", "2",
                     "--batch-size", "16", "--hidden-size", "8", "--embedding-size", "4", "--max-events", "32", "--no-xgboost",
                     "--threads", "1", "--model", model]
        let environment = Self.environment
        // Two programs in one job: only process 0 sees the test's stop request, after its 3rd batch.
        // ("$@" is the tool's path and its flags.)
        let split = ["/bin/sh", "-c", "exec \"$0\" -n 1 -x CHURN_TEST_INTERRUPT_AFTER_BATCHES=3 \"$@\" : -n 1 \"$@\"", mpirun]
        let stopped = try runner.run("churn-train", flags, environment: environment, timeout: 300, wrapper: split)
        XCTAssertEqual(stopped.status, 130, stopped.stderr)
        // Process 1 stops too (else the job would hang in the next batch's sum) and exits 130
        // silently: process 0 alone says why.
        let lines = stopped.stderr.split(separator: "\n").filter { $0.contains("interrupted in epoch") }
        XCTAssertEqual(lines.count, 1, stopped.stderr)
        XCTAssertTrue(lines.first?.contains("interrupted in epoch 1 after batch 3") ?? false, "\(lines)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: model + ".checkpoint"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: model))
        let resumed = try runner.run("churn-train", flags + ["--resume"], environment: environment, timeout: 300,
                                     wrapper: [mpirun, "-n", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming from"), resumed.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: model))
        XCTAssertFalse(FileManager.default.fileExists(atPath: model + ".checkpoint"))
    }
}
