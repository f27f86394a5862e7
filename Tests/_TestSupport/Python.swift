import Foundation

/// What `runPython` returns as output.
public enum PythonOutput {
    /// Standard output and standard error interleaved, as a terminal shows them.
    case merged
    /// Standard output only (so warnings cannot break its parsing); standard error is appended
    /// when the script fails.
    case standardOutput
}

/// Runs the `python3` found on PATH with `arguments` and waits for it.
/// - Throws: the error of starting the process (no `/usr/bin/env`).
public func runPython(_ arguments: [String], output: PythonOutput = .merged) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let out = Pipe(), err = output == .merged ? out : Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errors = output == .merged ? Data() : err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    return (process.terminationStatus, process.terminationStatus == 0 ? text : text + String(decoding: errors, as: UTF8.self))
}
