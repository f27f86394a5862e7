/// How an attribute's values are read.
public enum AttributeKind: String, Codable, Sendable {
    /// Finite numbers (company size, seats, age of the account in the CRM).
    case numeric
    /// Names (plan, acquisition channel, country).
    case categorical
}

/// Where an attribute comes from.
public enum AttributeSource: String, Codable, Sendable {
    /// A column of the event log (`--attribute-column`): one value per event, read as of a cutoff.
    case eventLog = "event_log"
    /// A column of a customer table (`--customers`): one value per customer, static.
    case customerTable = "customer_table"
}

/// One customer attribute held by an `EventStore`, in both sources' common form: the distinct
/// values, and per event (event-log column) or per customer (customer-table column) the code of
/// its value, −1 when the field is empty.
///
/// As of a cutoff, an event-log attribute is the value of the customer's latest event strictly
/// before the cutoff whose field is not empty (an empty field does not overwrite a value), and
/// missing when there is none; a customer-table attribute is the customer's row, whatever the
/// cutoff (`EventStore.attributeCode(_:customer:historyEnd:)`).
public struct AttributeColumn: Sendable, Equatable {
    /// The column's name in its file (the attribute's name).
    public let name: String
    public let source: AttributeSource
    public let kind: AttributeKind
    /// The distinct non-empty values by code, as written (surrounding spaces and tabs removed).
    public let values: [String]
    /// Numeric columns: the number of each code (empty for categorical columns).
    public let numbers: [Double]
    /// Per event in the store's event order (event log) or per customer index (customer table):
    /// the value's code, or −1.
    public let codes: [Int32]

    /// Creates a column; numeric columns parse `values` into `numbers`.
    /// - Precondition: every value of a numeric column is a finite number (callers check and
    ///   report first), and every code is −1 or a valid index.
    public init(name: String, source: AttributeSource, kind: AttributeKind, values: [String], codes: [Int32]) {
        self.name = name
        self.source = source
        self.kind = kind
        self.values = values
        self.codes = codes
        numbers = kind == .numeric ? values.map { AttributeColumn.number($0)! } : []
    }

    /// The column with its codes permuted: `codes[permutation[k]]` for every k.
    func gathered(_ permutation: [Int32]) -> AttributeColumn {
        AttributeColumn(name: name, source: source, kind: kind, values: values, numbers: numbers,
                        codes: permutation.map { codes[Int($0)] })
    }

    private init(name: String, source: AttributeSource, kind: AttributeKind, values: [String], numbers: [Double], codes: [Int32]) {
        self.name = name
        self.source = source
        self.kind = kind
        self.values = values
        self.numbers = numbers
        self.codes = codes
    }

    /// A finite number written in `text` (`NumberParser`'s syntax), or nil.
    public static func number(_ text: String) -> Double? {
        var copy = text
        return copy.withUTF8 { NumberParser.parse($0) }.flatMap { $0.isFinite ? $0 : nil }
    }

    /// The kind of a column from its distinct values: `declared` when given, else numeric when
    /// every value is a number and categorical when none is.
    /// - Parameters:
    ///   - values: the distinct non-empty values.
    ///   - location: the file and line of each value's first occurrence, for the error.
    /// - Throws: `EventLogError.mixedAttribute` for numbers and text without a declaration, and for
    ///   text under a declared `numeric`.
    public static func kind(of name: String, values: [String], declared: AttributeKind?,
                            where location: (Int) -> (file: String, line: Int)) throws -> AttributeKind {
        if declared == .categorical { return .categorical }
        // Codes are in order of first appearance, so the first of each sort is the earliest.
        let firstNumber = values.indices.first { number(values[$0]) != nil }
        let firstText = values.indices.first { number(values[$0]) == nil }
        if let text = firstText {
            let at = location(text)
            if declared == .numeric {
                throw EventLogError.mixedAttribute(path: at.file, line: at.line,
                                                   reason: "attribute '\(name)' is numeric, but this row holds '\(values[text].forMessage())'")
            }
            if let n = firstNumber.map(location) {
                throw EventLogError.mixedAttribute(
                    path: at.file, line: at.line,
                    reason: "attribute '\(name)' holds both numbers (first at \(n.file):\(n.line)) and text ('\(values[text].forMessage())' here); "
                        + "declare it with --categorical \(name) or --numeric \(name)")
            }
            return .categorical
        }
        return firstNumber == nil && declared == nil ? .categorical : .numeric
    }
}

extension EventStore {
    /// The position of the attribute named `name` among `attributes`.
    public func attributeIndex(of name: String) -> Int? { attributes.firstIndex { $0.name == name } }

    /// The code of attribute `a` for `customer` as of a history that ends at `historyEnd` (the
    /// snapshot row's: events before the cutoff), or −1 when missing.
    ///
    /// Event-log attribute: the latest event before `historyEnd` whose field is not empty. Only
    /// events of the history are read, so a value first written at or after the cutoff never
    /// reaches a feature. Customer-table attribute: the customer's value.
    /// - Complexity: O(1) for customer-table attributes; O(events back to the latest non-empty
    ///   field) for event-log ones, usually O(1).
    @inline(__always)
    public func attributeCode(_ a: Int, customer: Int, historyEnd: Int) -> Int32 {
        let column = attributes[a]
        switch column.source {
        case .customerTable:
            return column.codes[customer]
        case .eventLog:
            return column.codes.withUnsafeBufferPointer { codes in
                var k = historyEnd - 1
                let start = offsets[customer]
                while k >= start {
                    if codes[k] >= 0 { return codes[k] }
                    k -= 1
                }
                return -1
            }
        }
    }
}
