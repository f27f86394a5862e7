import CXGBoost
import Foundation

/// The calls every XGBoost use goes through: quiet logging, status checks, owned matrices.
enum XGBoost {
    /// Silences XGBoost on the calling thread: its global configuration and log callback are
    /// thread-local, so every entry point of the module calls this before any other XGBoost call.
    static func silenceCallingThread() {
        _ = XGBSetGlobalConfig("{\"verbosity\": 0}")
        _ = XGBRegisterLogCallback { _ in }
    }

    /// XGBoost's message for the last failed call on this thread (`cleaned`).
    static func lastError() -> String {
        cleaned(XGBGetLastError().map { String(cString: $0) } ?? "")
    }

    /// `message` without XGBoost's time and source location before it and its stack trace after:
    /// "[20:37:48] /build/src/learner.cc:123: what went wrong\nStack trace: …" → "what went wrong".
    static func cleaned(_ message: String) -> String {
        var message = message
        if let trace = message.range(of: "Stack trace:") { message = String(message[..<trace.lowerBound]) }
        message = message.trimmingCharacters(in: .whitespacesAndNewlines)
        if let location = message.range(of: #"^\[[0-9:]+\] \S+:[0-9]+: "#, options: .regularExpression) {
            message = String(message[location.upperBound...])
        }
        message = message.trimmingCharacters(in: .whitespacesAndNewlines)
        return message.isEmpty ? "(no message)" : message
    }

    /// Throws `BoostingError.library` (or what `failure` makes of XGBoost's message) when `status` is not 0.
    static func check(_ status: Int32, _ call: String,
                      failure: ((String) -> BoostingError)? = nil) throws {
        guard status != 0 else { return }
        let message = lastError()
        throw failure?(message) ?? BoostingError.library(call: call, message: message)
    }
}

/// An XGBoost `DMatrix` that this object owns and frees.
final class DMatrix {
    let handle: DMatrixHandle

    /// Copies `rowCount × featureCount` row-major values; NaN marks a missing value.
    init(features: UnsafeBufferPointer<Float>, rowCount: Int, featureCount: Int, threads: Int) throws {
        precondition(features.count == rowCount * featureCount)
        var out: DMatrixHandle?
        try XGBoost.check(XGDMatrixCreateFromMat_omp(features.baseAddress, bst_ulong(rowCount), bst_ulong(featureCount),
                                                     Float.nan, &out, Int32(threads)), "XGDMatrixCreateFromMat_omp")
        guard let out else { throw BoostingError.library(call: "XGDMatrixCreateFromMat_omp", message: "no matrix returned") }
        handle = out
    }

    /// Sets a float field (`label`, `weight`) of every row.
    func set(_ field: String, _ values: [Float]) throws {
        try values.withUnsafeBufferPointer {
            try XGBoost.check(XGDMatrixSetFloatInfo(handle, field, $0.baseAddress, bst_ulong($0.count)),
                              "XGDMatrixSetFloatInfo(\(field))")
        }
    }

    deinit { XGDMatrixFree(handle) }
}
