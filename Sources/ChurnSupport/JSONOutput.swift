import Foundation

/// The project's one policy for numbers JSON cannot hold: NaN and ±∞ are written as `null`,
/// in every file the tools write (metrics, reports, model configs, checkpoints' metadata).
public enum JSONOutput {
    /// A string no finite value encodes to; non-finite numbers are encoded as it, then replaced.
    private static let marker = "\u{1}non-finite\u{1}"

    /// Encodes `value` with sorted keys, writing every non-finite number as `null`.
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: marker, negativeInfinity: marker, nan: marker)
        let text = String(decoding: try encoder.encode(value), as: UTF8.self)
        return Data(text.replacingOccurrences(of: "\"\\u0001non-finite\\u0001\"", with: "null").utf8)
    }
}
