import Reports
import Baselines
import Features
import Snapshots
import Foundation
import TensorKit
import XCTest

/// The executables on a corpus of bad inputs (issue 9): each case has its exit code and a check
/// of the message — one or two lines naming the file, line or flag, no stack trace, no signal,
/// no hang. Corpus files are generated into a scratch directory; crash inputs found by fuzzing
/// live in `Fuzz/crashes` and are replayed by `FuzzRegressionTests`.
final class BadInputCorpusTests: ToolTestCase {
    static let header = "customer_id,timestamp,event,amount\n"
    /// Two customers, a few days of events: enough for a model to score.
    static let goodRows = "c1,2024-01-01,login,\nc1,2024-01-05T10:00:00Z,purchase,12.5\nc2,2024-01-02,login,\nc2,2024-01-03,view,\n"

    /// A tiny model (H = 2) trained once on a small simulated log, with an `amount` column.
    func model() throws -> (model: String, log: String) {
        let log = runner.path("train.csv"), model = runner.path("tiny.safetensors")
        if FileManager.default.fileExists(atPath: model) { return (model, log) }
        let sim = try runner.run("churn-simulate", ["--customers", "40", "--days", "60", "--seed", "3", "--output", log])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let train = try runner.run("churn-train", ["--events", log, "--model", model, "--hidden-size", "2", "--embedding-size", "2",
                                                   "--max-events", "4", "--epochs", "1", "--batch-size", "8", "--value-column", "amount",
                                                   "--snapshots", "1", "--threads", "1"])
        XCTAssertEqual(train.status, 0, train.stderr)
        return (model, log)
    }

    @discardableResult
    func write(_ name: String, _ bytes: Data) throws -> String {
        let path = runner.path(name)
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Data(text.utf8)) }

    /// Runs a tool and checks the exit code and the error message: one `tool: error:` line (plus
    /// at most the `--help` hint) that contains every fragment, and no crash report.
    @discardableResult
    func expect(_ tool: String, _ arguments: [String], environment: [String: String] = [:], status: Int32,
                mentions fragments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> ToolRunner.Result {
        let result = try runner.run(tool, arguments, environment: environment, timeout: 60)
        XCTAssertEqual(result.status, status, "\(arguments): \(result.stderr)", file: file, line: line)
        for crash in ["Fatal error", "stack trace", "Stack dump", "Segmentation", "Illegal instruction", "0x0000", "Sanitizer"] {
            XCTAssertFalse(result.stderr.contains(crash), "crash report: \(result.stderr)", file: file, line: line)
        }
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
        if status != 0 {
            let errorLines = lines.drop { !$0.hasPrefix("\(tool): error:") }
            XCTAssertFalse(errorLines.isEmpty, "no '\(tool): error:' line: \(result.stderr)", file: file, line: line)
            XCTAssertLessThanOrEqual(errorLines.count, 2, "the message is longer than two lines: \(result.stderr)", file: file, line: line)
            XCTAssertLessThanOrEqual(errorLines.first?.count ?? 0, 400, "the message line is too long", file: file, line: line)
        }
        for fragment in fragments {
            XCTAssert(result.stderr.contains(fragment), "'\(fragment)' not in: \(result.stderr)", file: file, line: line)
        }
        return result
    }

    func predict(_ events: String, _ extra: [String] = []) throws -> [String] {
        ["--model", try model().model, "--events", events] + extra
    }

    // MARK: Event logs

    func testEmptyHeaderOnlyAndMissingColumns() throws {
        try expect("churn-predict", predict(write("empty.csv", "")), status: 65, mentions: ["empty.csv", "empty file"])
        try expect("churn-predict", predict(write("header.csv", Self.header)), status: 65, mentions: ["header.csv", "no data rows"])
        try expect("churn-predict", predict(write("columns.csv", "user,when,what\nc1,2024-01-01,x\n")), status: 65,
                   mentions: ["columns.csv", "missing column 'customer_id'", "'user', 'when', 'what'", "--customer-column"])
        try expect("churn-predict", predict(write("dup.csv", "customer_id,timestamp,event,amount,customer_id\nc1,2024-01-01,x,1,c2\n")),
                   status: 65, mentions: ["dup.csv", "column 'customer_id' appears 2 times", "columns 1, 5", "rename"])
        // A duplicate of a column the tools do not read is harmless.
        try expect("churn-predict", predict(write("dupother.csv", "customer_id,timestamp,event,amount,x,x\nc1,2024-01-01,login,1,a,b\n")),
                   status: 0, mentions: ["scored 1 customers"])
    }

    func testBinaryGarbageAndNULBytes() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let garbage = Data((0..<4096).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56) | 0x80       // never the gzip magic, never ASCII
        })
        try expect("churn-predict", predict(write("garbage.csv", garbage)), status: 65, mentions: ["garbage.csv", "not UTF-8 text"])
        try expect("churn-predict", predict(write("garbage.csv.gz", garbage)), status: 65, mentions: ["garbage.csv.gz", "gzip"])

        let nul = Self.header + Self.goodRows + "c\u{0}3,2024-01-02,login,1\nc4,2024-01-0\u{0}3,login,1\n"
        let skipped = try expect("churn-predict", predict(write("nul.csv", nul)), status: 0,
                                 mentions: ["2 skipped", "nul.csv:6", "nul.csv:7", "c\\u{0}3"])
        XCTAssertFalse(skipped.stderr.contains("\u{0}"), "a NUL byte reached the terminal")
        XCTAssertEqual(skipped.stdout.split(separator: "\n").count, 3, "header + c1 + c2")
        try expect("churn-predict", predict(write("nul.csv", nul), ["--strict"]), status: 65, mentions: ["nul.csv:6", "not UTF-8 text"])
    }

    func testInvalidUTF8InIdsIsABadRowNotAMergedCustomer() throws {
        // Two ids that differ only in invalid bytes would both become "c\u{FFFD}" as Strings.
        var bytes = Data((Self.header + Self.goodRows).utf8)
        bytes.append(contentsOf: Array("c".utf8) + [0xFF] + Array(",2024-01-02,login,1\n".utf8))
        bytes.append(contentsOf: Array("c".utf8) + [0xFE] + Array(",2024-01-02,login,1\n".utf8))
        bytes.append(contentsOf: Array("c5,2024-01-02,".utf8) + [0xC3, 0x28] + Array(",1\n".utf8))   // bad event name
        bytes.append(contentsOf: Array("c\u{E9}t\u{E9},2024-01-02,login,1\n".utf8))                    // valid UTF-8 id
        let result = try expect("churn-predict", predict(write("utf8.csv", bytes)), status: 0,
                                mentions: ["3 skipped: id, event name or attribute that is not UTF-8", "utf8.csv:6", "utf8.csv:7", "utf8.csv:8",
                                           "column 'event'"])
        XCTAssertEqual(result.stdout.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[0]) }, ["c1", "c2", "c\u{E9}t\u{E9}"])
    }

    func testATenMegabyteField() throws {
        let huge = String(repeating: "x", count: 10 << 20)
        // A 10 MB event name is read (records up to 64 MiB are); the customer is scored.
        let long = try expect("churn-predict", predict(write("long.csv", Self.header + Self.goodRows + "c3,2024-01-04,\(huge),1\n")),
                              status: 0, mentions: ["scored 3 customers"])
        XCTAssertLessThan(long.stderr.count, 2000, "the long field must not be echoed")
        // An unbalanced quote makes the rest of the file one 10 MB field: one bad row, named.
        let quote = try expect("churn-predict", predict(write("quote.csv", Self.header + Self.goodRows + "c3,\"2024-01-04,login,1\n\(huge)\nc4,2024-01-04,x,1\n")),
                               status: 0, mentions: ["quote.csv:6", "wrong number of fields"])
        XCTAssertLessThan(quote.stderr.count, 2000, "the long field must not be echoed")
    }

    func testTruncatedGzip() throws {
        let (_, log) = try model()
        let gz = runner.path("events.csv.gz")
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -c '\(log)' > '\(gz)'"]
        try gzip.run()
        gzip.waitUntilExit()
        guard gzip.terminationStatus == 0 else { throw XCTSkip("gzip is not available") }
        let whole = try Data(contentsOf: URL(fileURLWithPath: gz))
        try expect("churn-predict", predict(write("cut.csv.gz", whole.prefix(whole.count / 2))), status: 65,
                   mentions: ["cut.csv.gz", "truncated gzip data"])
        try expect("churn-predict", predict(write("cut2.csv.gz", whole.prefix(5))), status: 65, mentions: ["cut2.csv.gz", "gzip"])
    }

    func testNonFiniteAndOverflowingAmountsAreBadRows() throws {
        let rows = "c1,2024-01-01,login,1e999\nc1,2024-01-02,login,NaN\nc1,2024-01-03,login,inf\nc2,2024-01-04,login,-inf\n"
            + "c2,2024-01-05,login,1e38\nc3,2024-01-05,login,3.5e39\n"
        let result = try expect("churn-predict", predict(write("nums.csv", Self.header + rows)), status: 0,
                                mentions: ["5 skipped: unparsable number", "nums.csv:2", "nums.csv:3", "nums.csv:4", "nums.csv:5",
                                           "column 'amount'", "c1,2024-01-01,login,1e999", "customer(s) had only bad rows"])
        XCTAssertEqual(result.stdout.split(separator: "\n").count, 2, "only c2 (1e38 fits a Float) is scored")
        try expect("churn-predict", predict(write("nums.csv", Self.header + rows), ["--strict"]), status: 65,
                   mentions: ["nums.csv:2", "unparsable number", "column 'amount'"])
    }

    func testDatesBefore1970AreEventsAndAfter9999AreBadRows() throws {
        let rows = "c1,1969-07-20T20:17:40Z,login,1\nc1,0001-01-01,login,1\nc2,10000-01-01,login,1\nc2,99999-01-01T00:00:00Z,login,1\n"
            + "c2,9999-12-31T23:59:59Z,login,1\nc3,-62135596801,login,1\n"
        let result = try expect("churn-predict", predict(write("dates.csv", Self.header + rows)), status: 0,
                                mentions: ["3 skipped: unparsable timestamp", "dates.csv:4", "dates.csv:5", "dates.csv:7"])
        XCTAssertEqual(result.stdout.split(separator: "\n").count, 3, "c1 (1969 and year 1) and c2 (9999) are scored")
        for row in result.stdout.split(separator: "\n").dropFirst() {
            let p = try XCTUnwrap(Double(row.split(separator: ",")[1]))
            XCTAssert(p >= 0 && p <= 1, String(row))
        }
    }

    func testCutoffBeforeOrAfterEveryEvent() throws {
        let (model, log) = try model()
        try expect("churn-train", ["--events", log, "--model", runner.path("early.safetensors"), "--cutoff", "1990-01-01"], status: 65,
                   mentions: ["no customers in the snapshot at 1990-01-01", "--cutoff"])
        try expect("churn-evaluate", ["--model", model, "--events", log, "--cutoff", "1990-01-01"], status: 65,
                   mentions: ["no customers in the snapshot at 1990-01-01", "--cutoff"])
        try expect("churn-train", ["--events", log, "--model", runner.path("late.safetensors"), "--cutoff", "2090-01-01", "--hidden-size", "2"],
                   status: 65, mentions: ["the same label", "churn rate 100%", "--cutoff", "censored"])
        let empty = try expect("churn-predict", ["--model", model, "--events", log, "--as-of", "1990-01-01"], status: 0,
                               mentions: ["warning: no customer has an event before 1990-01-01"])
        XCTAssertEqual(empty.stdout, "customer_id,churn_probability\n")
        let late = try expect("churn-predict", ["--model", model, "--events", log, "--as-of", "2090-01-01"], status: 0, mentions: [])
        XCTAssertEqual(late.stdout.split(separator: "\n").count, 41, "every customer is scored after the last event")
    }

    func testBadLabelsFiles() throws {
        let (_, log) = try model()
        let train = ["--events", log, "--model", runner.path("labelled.safetensors"), "--hidden-size", "2", "--epochs", "1", "--labels"]
        try expect("churn-train", train + [write("labels-binary.csv", Data([0xFF, 0xFE, 0x00, 0x41, 0x0A, 0x31]))], status: 65,
                   mentions: ["labels-binary.csv", "not UTF-8 text"])
        try expect("churn-train", train + [write("labels-columns.csv", "customer_id,label\nc000001,1\n")], status: 65,
                   mentions: ["labels-columns.csv", "missing column 'churned'", "customer_id,churned"])
        let escaped = try expect("churn-train", train + [write("labels-value.csv", "customer_id,churned\nc000001,\u{1B}[31mred\n")],
                                 status: 65, mentions: ["labels-value.csv:2", "\\u{1b}[31mred", "not 0 or 1"])
        XCTAssertFalse(escaped.stderr.contains("\u{1B}"), "an escape sequence reached the terminal")
    }

    // MARK: Model files

    /// The tiny model's bytes split into its header (as JSON) and data section.
    func modelParts() throws -> (header: [String: Any], data: Data) {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: try model().model))
        let length = Int(bytes.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: bytes.subdata(in: 8 ..< 8 + length)) as? [String: Any])
        return (header, bytes.subdata(in: 8 + length ..< bytes.count))
    }

    func safetensors(_ header: [String: Any], _ data: Data) throws -> Data {
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        return out + json + data
    }

    func testCorruptModelFiles() throws {
        let (modelPath, log) = try model()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: modelPath))
        let (header, data) = try modelParts()
        func refused(_ name: String, _ file: Data, _ fragments: [String], line: UInt = #line) throws {
            let path = try write(name, file)
            try expect("churn-predict", ["--model", path, "--events", log], status: 65, mentions: [name] + fragments, line: line)
        }
        try refused("truncated.safetensors", bytes.prefix(bytes.count - 100), ["truncated file?", "written by churn-train"])
        try refused("short.safetensors", bytes.prefix(5), ["shorter than the 8-byte header"])
        var state: UInt64 = 42
        try refused("random.safetensors", Data((0..<5000).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1; return UInt8(truncatingIfNeeded: state >> 33)
        }), ["not a readable model file"])
        try refused("foreign.safetensors", try safetensors(["w": ["dtype": "F32", "shape": [2], "data_offsets": [0, 8]],
                                                            "__metadata__": ["format": "pt"]], Data(count: 8)),
                    ["format 'pt', not a churn-forecaster model"])
        try refused("nometa.safetensors", try safetensors(["w": ["dtype": "F32", "shape": [2], "data_offsets": [0, 8]]], Data(count: 8)),
                    ["without the churn-forecaster 'format' metadata"])
        var beyond = bytes
        beyond.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(bytes.count * 2).littleEndian) { Data($0) })
        try refused("beyond.safetensors", beyond, ["runs past the end"])
        try refused("overlap.safetensors", try safetensors(["a": ["dtype": "F32", "shape": [2], "data_offsets": [0, 8]],
                                                            "b": ["dtype": "F32", "shape": [2], "data_offsets": [4, 12]]], Data(count: 12)),
                    ["overlaps another tensor"])

        var shape = header
        var head = try XCTUnwrap(shape["head.weight"] as? [String: Any])
        head["shape"] = (head["shape"] as! [Int]).reversed() as [Int]
        shape["head.weight"] = head
        try refused("shape.safetensors", try safetensors(shape, data), ["tensor 'head.weight' has shape [2, 1]", "restore it or retrain"])

        var nan = data
        let bias = try XCTUnwrap((header["head.bias"] as? [String: Any])?["data_offsets"] as? [Int])
        nan.replaceSubrange(bias[0] ..< bias[1], with: withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { Data($0) })
        try refused("nan.safetensors", try safetensors(header, nan), ["tensor 'head.bias' holds NaN"])

        var future = header
        var meta = try XCTUnwrap(future["__metadata__"] as? [String: String])
        meta["format"] = "churn-forecaster/2"
        future["__metadata__"] = meta
        try refused("future.safetensors", try safetensors(future, data), ["format 'churn-forecaster/2'", "retrain"])

        var config = header
        meta = try XCTUnwrap(config["__metadata__"] as? [String: String])
        meta["config"] = meta["config"]!.replacingOccurrences(of: "\"hiddenSize\":2", with: "\"hiddenSize\":9223372036854775807")
        config["__metadata__"] = meta
        try refused("config.safetensors", try safetensors(config, data), ["implausible network shape"])

        // The value columns of the labels section disagree with the feature spec's.
        var columns = header
        meta = try XCTUnwrap(columns["__metadata__"] as? [String: String])
        meta["config"] = meta["config"]!.replacingOccurrences(of: "\"values\":[\"amount\"]", with: "\"values\":[]")
        columns["__metadata__"] = meta
        try refused("columns.safetensors", try safetensors(columns, data), ["value columns of 'features' and 'labels' differ"])

        try expect("churn-predict", ["--model", runner.path("absent.safetensors"), "--events", log], status: 66,
                   mentions: ["absent.safetensors: no such model file (--model)"])
        try expect("churn-predict", ["--model", runner.directory.path, "--events", log], status: 66, mentions: ["is a directory"])
    }

    // MARK: Flags

    func testFlagsWithBadValues() throws {
        let (model, log) = try model()
        let train = ["--events", log, "--model", runner.path("flags.safetensors")]
        let cases: [(String, [String], Int32, [String])] = [
            ("churn-train", train + ["--horizon", "0d"], 64, ["--horizon", "'0d'"]),
            ("churn-train", train + ["--horizon", "-5d"], 64, ["--horizon"]),
            ("churn-train", train + ["--horizon", "99999999999d"], 64, ["--horizon"]),
            ("churn-train", train + ["--cutoff", "2024-13-01"], 64, ["--cutoff", "2024-13-01"]),
            ("churn-train", train + ["--hidden-size", "0"], 64, ["--hidden-size", "1...8192"]),
            ("churn-train", train + ["--learning-rate", "nan"], 64, ["--learning-rate"]),
            ("churn-train", train + ["--validation-fraction", "2"], 64, ["--validation-fraction"]),
            ("churn-train", train + ["--epochs", "zero"], 64, ["--epochs"]),
            ("churn-train", train + ["--threads", "0"], 64, ["--threads"]),
            ("churn-train", train + ["--hiden-size", "4"], 64, ["--hiden-size", "--hidden-size"]),
            ("churn-train", train + ["--snapshots", "1", "--every", "7d"], 64, ["--every", "--snapshots"]),
            ("churn-train", ["--model", runner.path("x.safetensors")], 64, ["--events"]),
            ("churn-train", ["--events", runner.path("absent.csv"), "--model", runner.path("x.safetensors")], 66, ["absent.csv", "no such file"]),
            ("churn-train", train + ["--labels", runner.path("absent-labels.csv")], 66, ["absent-labels.csv", "--labels"]),
            ("churn-predict", ["--model", model, "--events", log, "--shard", "3/2"], 64, ["--shard", "3/2"]),
            ("churn-predict", ["--model", model, "--events", log, "--format", "xml"], 64, ["--format", "xml"]),
            ("churn-predict", ["--model", model, "--events", log, "--batch-size", "0"], 64, ["--batch-size"]),
            ("churn-predict", ["--model", model, "--events", log, "--as-of", "yesterday"], 64, ["--as-of", "yesterday"]),
            ("churn-predict", ["--model", model, "--events", log, "--value-column", "price"], 64, ["--value-column", "[amount]"]),
            ("churn-predict", ["--model", model, "--events", "-", "--events", "-"], 64, ["standard input"]),
            ("churn-predict", ["--model", model, "--events", log, "--output", runner.directory.path], 64, ["--output", "is a directory"]),
            ("churn-evaluate", ["--model", model, "--events", log, "--bootstrap", "-1"], 64, ["--bootstrap"]),
            ("churn-evaluate", ["--model", model, "--events", log, "--backtest", "2", "--cutoff", "2024-01-01", "--cutoff", "2024-02-01"],
             64, ["--backtest"]),
        ]
        for (tool, arguments, status, fragments) in cases {
            try expect(tool, arguments, status: status, mentions: fragments)
        }
    }

    /// An unknown or unsupported instruction set, by flag or environment, is refused before any
    /// work rather than silently replaced by another.
    func testInstructionSetsTheCPUCannotRun() throws {
        let (model, log) = try model()
        let predict = ["--model", model, "--events", log, "--output", runner.path("isa.csv")]
        try expect("churn-predict", predict + ["--isa", "sse9"], status: 64, mentions: ["--isa", "sse9", "avx2"])
        try expect("churn-predict", predict, environment: ["CHURN_ISA": "sse9"], status: 64, mentions: ["CHURN_ISA=sse9", "unknown"])
        try expect("churn-train", ["--events", log, "--model", runner.path("isa.safetensors"), "--isa", "avx"], status: 64,
                   mentions: ["--isa", "avx"])
        if InstructionSet.detected < .avx512 {
            try expect("churn-predict", predict + ["--isa", "avx512"], status: 64, mentions: ["--isa avx512", "does not run"])
            try expect("churn-evaluate", ["--model", model, "--events", log], environment: ["CHURN_ISA": "avx512"], status: 64,
                       mentions: ["CHURN_ISA=avx512", "does not run"])
        }
        // A set the CPU runs is taken, and gives the same scores as the widest.
        try expect("churn-predict", predict + ["--isa", "portable"], status: 0, mentions: [])
        let portable = try String(contentsOfFile: runner.path("isa.csv"), encoding: .utf8)
        try expect("churn-predict", predict, status: 0, mentions: [])
        XCTAssertEqual(try String(contentsOfFile: runner.path("isa.csv"), encoding: .utf8), portable)
    }
}
