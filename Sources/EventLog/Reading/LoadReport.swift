/// Why a data row was skipped.
public enum BadRowReason: String, CaseIterable, Codable, Sendable, Comparable {
    case wrongFieldCount = "wrong_field_count"
    case badTimestamp = "bad_timestamp"
    case badNumber = "bad_number"
    case emptyCustomer = "empty_customer_id"
    case invalidText = "invalid_text"

    /// A short human-readable explanation.
    public var message: String {
        switch self {
        case .wrongFieldCount: return "wrong number of fields"
        case .badTimestamp: return "unparsable timestamp"
        case .badNumber: return "unparsable number"
        case .emptyCustomer: return "empty customer id"
        case .invalidText: return "id, event name or attribute that is not UTF-8 text (invalid bytes or NUL)"
        }
    }

    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One skipped row: where it is, why it was skipped and (the start of) its text.
public struct BadRow: Equatable, Codable, Sendable {
    /// The file's display name (`<stdin>` for standard input).
    public var file: String
    /// The physical line number (1-based) of the row's first line.
    public var line: Int
    /// Why the row was skipped.
    public var reason: BadRowReason
    /// Which column or count was wrong, e.g. `column 'timestamp'` or `5 fields, header has 4`.
    public var detail: String
    /// The row's raw text, truncated to `maxTextLength` characters.
    public var text: String

    /// The longest `text` kept (characters).
    public static let maxTextLength = 200
}

/// What loading read and skipped: the summary executables print on standard error.
public struct LoadReport: Equatable, Codable, Sendable {
    /// Display names of the files read, in order.
    public var files: [String] = []
    /// Data rows read (header rows and blank lines not counted).
    public var rowsRead = 0
    /// Rows that became events.
    public var rowsLoaded = 0
    /// Good rows of customers a `LoadOptions.customerFilter` did not keep (other shards').
    public var rowsOutsideFilter = 0
    /// Blank lines skipped (not counted as bad rows).
    public var blankLines = 0
    /// Skipped rows by reason.
    public var badRowCounts: [BadRowReason: Int] = [:]
    /// The first `samplesPerReason` bad rows of each reason, in file order.
    public var samples: [BadRow] = []
    /// Bytes read after decompression.
    public var bytesRead = 0
    /// Customers that appear only in bad rows, so they are not in the store at all (sorted by
    /// id; at most `maxDroppedCustomers` kept), and how many there are.
    public var droppedCustomers: [String] = []
    public var droppedCustomerCount = 0

    /// The most dropped customer ids kept by name.
    public static let maxDroppedCustomers = 1000

    public init() {}

    /// The total number of skipped rows.
    public var badRows: Int { badRowCounts.values.reduce(0, +) }

    /// The summary lines for standard error: counts by reason, then the sampled rows.
    public func summaryLines() -> [String] {
        var lines = ["read \(rowsRead) rows from \(files.count) file(s): \(rowsLoaded) loaded, \(badRows) skipped"
                     + (rowsOutsideFilter > 0 ? ", \(rowsOutsideFilter) of customers in other shards" : "")]
        for reason in BadRowReason.allCases {
            if let n = badRowCounts[reason], n > 0 { lines.append("  \(n) skipped: \(reason.message)") }
        }
        if droppedCustomerCount > 0 {
            let shown = droppedCustomers.prefix(10).joined(separator: ", ")
            lines.append("  \(droppedCustomerCount) customer(s) had only bad rows and are left out: \(shown)"
                         + (droppedCustomerCount > 10 ? ", …" : ""))
        }
        for s in samples {
            lines.append("  \(s.file):\(s.line): \(s.reason.message)\(s.detail.isEmpty ? "" : " (\(s.detail))"): \(s.text)")
        }
        return lines
    }
}
