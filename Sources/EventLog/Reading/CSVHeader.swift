/// The header row of a CSV input: its column names and the lookup of required columns.
///
/// Every reader of the package (event logs, labels files) reads its header through this type, so
/// they agree on what a header is: the first non-blank record, UTF-8 text, names with surrounding
/// spaces and tabs removed, and each required column present exactly once.
public struct CSVHeader: Sendable, Equatable {
    /// The display name of the input, for errors.
    public let file: String
    /// The column names, in order.
    public let names: [String]

    public init(file: String, names: [String]) {
        self.file = file
        self.names = names
    }

    /// Reads the header from `reader`: the first record that is not a blank line.
    /// - Returns: the header, or `nil` when the input has no non-blank record.
    /// - Throws: `EventLogError.notText` for a header that is not UTF-8 text; read errors.
    public static func read(from reader: CSVReader) throws -> CSVHeader? {
        while try reader.nextRecord() {
            if reader.isBlankLine { continue }
            guard (0..<reader.fieldCount).allSatisfy({ ParsedChunk.isText(reader.field($0)) }) else {
                throw EventLogError.notText(path: reader.name)
            }
            return CSVHeader(file: reader.name, names: (0..<reader.fieldCount).map { reader.fieldString($0).trimmingASCIISpaces() })
        }
        return nil
    }

    /// The position of the column named `wanted`.
    /// - Throws: `EventLogError.missingColumn` (listing the header) or `.duplicateColumn`.
    public func position(of wanted: String) throws -> Int {
        let positions = names.indices.filter { names[$0] == wanted }
        guard let index = positions.first else {
            throw EventLogError.missingColumn(path: file, column: wanted, header: names)
        }
        if positions.count > 1 {
            throw EventLogError.duplicateColumn(path: file, column: wanted, positions: positions.map { $0 + 1 })
        }
        return index
    }

    public var count: Int { names.count }
}

extension String {
    /// This text without leading and trailing ASCII spaces and tabs.
    public func trimmingSpacesAndTabs() -> String { trimmingASCIISpaces() }
}
