import Reports
import Baselines
import Features
import Snapshots
import Foundation
import XCTest

/// Runs the package's executables (built beside the test bundle) in a scratch directory.
struct ToolRunner {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("churn-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The directory holding the built products (the test bundle's directory).
    static var productsDirectory: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
    }

    static func executable(_ name: String) throws -> URL {
        let url = productsDirectory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw XCTSkip("\(name) is not built at \(url.path); run `swift build` first")
        }
        return url
    }

    /// Runs `tool` with `arguments`, waiting at most `timeout` seconds.
    /// - Parameter wrapper: a command that runs the tool, e.g. `["/bin/sh", "-c", "ulimit -f 8; exec \"$0\" \"$@\""]`
    ///   (the tool's path and arguments follow it).
    @discardableResult
    func run(_ tool: String, _ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:],
             timeout: Double = 300, wrapper: [String] = [], whileRunning: ((Process) -> Void)? = nil) throws -> Result {
        let process = Process()
        let executable = try Self.executable(tool)
        if let command = wrapper.first {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = Array(wrapper.dropFirst()) + [executable.path] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        var stdoutData = Data(), stderrData = Data()
        let group = DispatchGroup()
        group.enter(); group.enter()
        DispatchQueue.global().async { stdoutData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        DispatchQueue.global().async { stderrData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        whileRunning?(process)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            XCTFail("\(tool) \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
        }
        process.waitUntilExit()
        group.wait()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData, as: UTF8.self))
    }
}

/// A test case whose tests share one `ToolRunner` scratch directory, made before the class's
/// first test and removed after its last.
class ToolTestCase: XCTestCase {
    nonisolated(unsafe) private static var runners: [ObjectIdentifier: ToolRunner] = [:]

    override class func setUp() {
        super.setUp()
        runners[ObjectIdentifier(self)] = try? ToolRunner()
    }

    override class func tearDown() {
        runners.removeValue(forKey: ObjectIdentifier(self))?.remove()
        super.tearDown()
    }

    var runner: ToolRunner { Self.runners[ObjectIdentifier(type(of: self))]! }
}
