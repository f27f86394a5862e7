/// A table of static customer attributes (`--customers FILE`): one row per customer, the
/// customer id column plus attribute columns (plan, channel, country, company size, …).
///
/// The values describe the customer as the file says now, not as of any cutoff: they are static,
/// not point-in-time correct, and a tool that trains on them should say so.
///
/// Types: a column is numeric when every non-missing value is a finite number, categorical
/// otherwise; `categorical` and `numeric` override the inference. A column holding both numbers
/// and text is refused unless an override says which it is (a misspelled number and a category
/// named like a number look the same otherwise). Missing values are empty fields (after removing
/// surrounding spaces and tabs). Customer ids are kept verbatim, as the event log's are.
public struct CustomerTable: Sendable, Equatable {
    /// How an attribute column is read.
    public typealias Kind = AttributeKind

    /// One attribute value.
    public enum Value: Sendable, Equatable {
        case missing
        case number(Double)
        case category(String)
    }

    /// The attribute columns in file order (without the id column), with their kinds.
    public var columns: [(name: String, kind: Kind)]
    /// Each customer's values, one per column, in `columns` order.
    public var rows: [String: [Value]]

    public static func == (a: CustomerTable, b: CustomerTable) -> Bool {
        a.columns.map(\.name) == b.columns.map(\.name) && a.columns.map(\.kind) == b.columns.map(\.kind) && a.rows == b.rows
    }

    /// Reads a customer table (`-` = standard input, `.gz` decompressed).
    /// - Parameters:
    ///   - customerColumns: the id column: the first of these names the header has (default `customer_id`).
    ///   - attributes: the attribute columns to read (nil: every column but the id).
    ///   - categorical, numeric: columns whose kind is given rather than inferred.
    /// - Throws: `EventLogError`: a missing file; a missing id column; an override naming no
    ///   column, or a column in both overrides; and, each with its line, a row whose field count
    ///   differs from the header's, an empty id, a customer listed twice with different values,
    ///   text in a numeric column, a column holding both numbers and text; no rows. A missing id
    ///   or attribute column is `missingColumn`.
    public static func load(path: String, customerColumns: [String] = ["customer_id"], attributes: [String]? = nil,
                            categorical: Set<String> = [], numeric: Set<String> = []) throws -> CustomerTable {
        let (source, name) = try InputOpener.open(path)
        return try parse(source: source, name: name, customerColumns: customerColumns, attributes: attributes,
                         categorical: categorical, numeric: numeric)
    }

    /// Parses a customer table from a byte source (see `load(path:)`).
    public static func parse(source: ByteSource, name: String, customerColumns: [String] = ["customer_id"], attributes: [String]? = nil,
                             categorical: Set<String> = [], numeric: Set<String> = []) throws -> CustomerTable {
        if let both = categorical.intersection(numeric).sorted().first {
            throw EventLogError.invalidOption("attribute '\(both)' is declared both categorical and numeric")
        }
        let reader = CSVReader(source: source, name: name)
        guard let header = try CSVHeader.read(from: reader) else { throw EventLogError.emptyFile(path: name) }
        let idColumn = customerColumns.first(where: header.names.contains) ?? customerColumns.first ?? "customer_id"
        let idPosition = try header.position(of: idColumn)
        let attributePositions = try attributes.map { try $0.map { try header.position(of: $0) } }
            ?? header.names.indices.filter { $0 != idPosition }
        if attributePositions.contains(idPosition) {
            throw EventLogError.invalidOption("the id column '\(idColumn)' of \(name) cannot also be an attribute")
        }
        let names = attributePositions.map { header.names[$0] }
        for column in names { _ = try header.position(of: column) }   // each exactly once
        if let unknown = categorical.union(numeric).subtracting(names).sorted().first {
            throw EventLogError.invalidOption("attribute '\(unknown)' is not a column of \(name) (columns: \(names.joined(separator: ", ")))")
        }

        // Pass 1: the raw text of every row, checking ids, field counts and duplicates.
        var text: [String: (line: Int, values: [String])] = [:]
        var order: [String] = []
        while try reader.nextRecord() {
            if reader.isBlankLine { continue }
            let line = reader.recordLine
            guard reader.fieldCount == header.count else {
                throw EventLogError.badCustomerRow(path: name, line: line, reason: "\(reader.fieldCount) fields, header has \(header.count)")
            }
            let id = reader.fieldString(idPosition)
            guard !id.trimmingSpacesAndTabs().isEmpty else {
                throw EventLogError.badCustomerRow(path: name, line: line, reason: "empty customer id")
            }
            let values = attributePositions.map { reader.fieldString($0).trimmingSpacesAndTabs() }
            if let previous = text[id] {
                guard previous.values == values else {
                    let k = values.indices.first { previous.values[$0] != values[$0] }!
                    throw EventLogError.badCustomerRow(
                        path: name, line: line,
                        reason: "customer '\(id.forMessage())' is listed again with \(names[k]) = '\(values[k].forMessage())' "
                            + "(line \(previous.line) says '\(previous.values[k].forMessage())')")
                }
                continue
            }
            text[id] = (line, values)
            order.append(id)
        }
        if text.isEmpty { throw EventLogError.noDataRows(path: name) }

        // Pass 2: each column's kind, then the values.
        var columns: [(name: String, kind: Kind)] = []
        for (j, column) in names.enumerated() {
            var firstNumber: Int?, firstText: (line: Int, value: String)?
            for id in order {
                let (line, values) = text[id]!
                let value = values[j]
                if value.isEmpty { continue }
                if Self.number(value) != nil { firstNumber = min(firstNumber ?? line, line) } else if firstText == nil || line < firstText!.line {
                    firstText = (line, value)
                }
            }
            let kind: Kind
            if categorical.contains(column) {
                kind = .categorical
            } else if numeric.contains(column) {
                if let t = firstText {
                    throw EventLogError.badCustomerRow(path: name, line: t.line,
                                                       reason: "attribute '\(column)' is numeric, but this row holds '\(t.value.forMessage())'")
                }
                kind = .numeric
            } else if let t = firstText, let n = firstNumber {
                throw EventLogError.badCustomerRow(
                    path: name, line: t.line,
                    reason: "attribute '\(column)' holds both numbers (first at line \(n)) and text ('\(t.value.forMessage())' here); "
                        + "declare it categorical or numeric")
            } else {
                kind = firstText == nil && firstNumber != nil ? .numeric : .categorical
            }
            columns.append((column, kind))
        }
        var rows: [String: [Value]] = [:]
        rows.reserveCapacity(order.count)
        for id in order {
            rows[id] = text[id]!.values.enumerated().map { j, value in
                if value.isEmpty { return .missing }
                return columns[j].kind == .numeric ? .number(Self.number(value)!) : .category(value)
            }
        }
        return CustomerTable(columns: columns, rows: rows)
    }

    /// A finite number, or nil.
    static func number(_ text: String) -> Double? { AttributeColumn.number(text) }
}
