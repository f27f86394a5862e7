import ChurnSupport

/// Errors of the data layer; each names the file (and line, column) it concerns.
///
/// The library never prints or exits: executables turn these into one message line and an exit
/// code chosen by `category`.
public enum EventLogError: CategorizedError, Equatable, Sendable {
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    /// Gzip data that is truncated or corrupt.
    case corruptCompressedData(path: String, reason: String)
    /// A file without even a header row.
    case emptyFile(path: String)
    /// A file with a header but no data rows.
    case noDataRows(path: String)
    /// A required column is not in the header.
    case missingColumn(path: String, column: String, header: [String])
    /// A required column appears more than once in the header (1-based positions).
    case duplicateColumn(path: String, column: String, positions: [Int])
    /// A header row that is not UTF-8 text (binary data, another encoding).
    case notText(path: String)
    /// `strict` loading stopped at the first bad row.
    case badRow(BadRow)
    /// A file whose every data row was bad.
    case noGoodRows(path: String, rowsRead: Int, firstBadRow: BadRow?)
    /// A record longer than `CSVReader.maxRecordBytes` (usually an unbalanced quote).
    case recordTooLong(path: String, line: Int)
    /// A row of a labels file that is not `customer_id,churned` with 0/1.
    case badLabel(path: String, line: Int, reason: String)
    /// A row of a customer table (`--customers`) that cannot be read: its line and why.
    case badCustomerRow(path: String, line: Int, reason: String)
    /// An attribute column whose values cannot all be read as its kind: its first offending row.
    case mixedAttribute(path: String, line: Int, reason: String)
    /// Inconsistent snapshot or feature options (e.g. zero snapshots).
    case invalidOption(String)
    /// A snapshot or training set without any customer in it.
    case emptySnapshot(cutoff: Int64, reason: String)

    /// The kind of failure (the command line maps it to an exit code).
    public var category: ErrorCategory {
        switch self {
        case .fileNotFound, .unreadable: return .unavailable
        case .invalidOption: return .invalidArgument
        default: return .badData
        }
    }

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file"
        case .unreadable(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .corruptCompressedData(let path, let reason):
            return "\(path): \(reason)"
        case .emptyFile(let path):
            return "\(path): empty file (expected a CSV header row)"
        case .noDataRows(let path):
            return "\(path): the file has a header but no data rows"
        case .missingColumn(let path, let column, let header):
            // At most a dozen names, each cut short: a header of garbage must not flood the terminal.
            let shown = header.prefix(12).map { "'\($0.forMessage())'" }
            return "\(path): missing column '\(column)'; the header has: \(shown.joined(separator: ", "))"
                + (header.count > 12 ? ", … (\(header.count) columns)" : "")
        case .duplicateColumn(let path, let column, let positions):
            return "\(path): column '\(column)' appears \(positions.count) times in the header (columns "
                + "\(positions.map(String.init).joined(separator: ", "))); rename the copies so the column is unambiguous"
        case .notText(let path):
            return "\(path): the header row is not UTF-8 text (a binary file, or another encoding?); expected UTF-8 CSV "
                + "with a header row such as customer_id,timestamp,event"
        case .badRow(let row):
            return "\(row.file):\(row.line): \(row.reason.message)\(row.detail.isEmpty ? "" : " (\(row.detail))"): \(row.text)"
        case .noGoodRows(let path, let rowsRead, let first):
            var s = "\(path): no good rows among \(rowsRead) data rows"
            if let first { s += "; first bad row at line \(first.line): \(first.reason.message)" }
            return s
        case .recordTooLong(let path, let line):
            return "\(path):\(line): a record longer than \(CSVReader.maxRecordBytes >> 20) MiB starts here (an unbalanced quote?)"
        case .badLabel(let path, let line, let reason), .badCustomerRow(let path, let line, let reason),
             .mixedAttribute(let path, let line, let reason):
            return "\(path):\(line): \(reason)"
        case .invalidOption(let message):
            return message
        case .emptySnapshot(let cutoff, let reason):
            return "no customers in the snapshot at \(Timestamp.format(cutoff)): \(reason)"
        }
    }
}
