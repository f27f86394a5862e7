import Snapshots
import EventLog
import Foundation

/// The fitted encoding of customer attributes (plan, channel, country, company size) as model
/// inputs, stored in the model file with the feature specs that use it.
///
/// Each attribute becomes a few numbers, the same for every model (the LSTM's cutoff step, the
/// XGBoost table, the logistic baselines), read as of the row's cutoff
/// (`EventStore.attributeCode(_:customer:historyEnd:)`):
///
/// | kind | inputs, in order | value |
/// |------|------------------|-------|
/// | categorical | `attribute_<name>=<category>` for each of `categories`, then `attribute_<name>=<other>`, `attribute_<name>=<missing>` | one-hot: 1 on the row's category; a category not among `categories` (rare in training, or never seen there) is `<other>`; no value is `<missing>` |
/// | numeric | `attribute_<name>`, `attribute_<name>_missing` | the number (`log1p` of it when `logScale`), and 0; without a value: `mean` (the training mean, on that scale) and 1. The XGBoost table has the number itself, NaN without a value (trees need no rescaling and handle missing values themselves) |
///
/// `categories` are the values held by at least `minCount` training rows, the `maxCategories`
/// most frequent (ties by name). `logScale` is chosen for a numeric attribute whose training
/// values are all ≥ 0 and right-skewed (sample skewness above 2: sizes, revenues, counts), so
/// that a few huge values do not squash the rest after standardization. The LSTM standardizes
/// the inputs with the other numeric features; the logistic regressions standardize their own.
public struct AttributeSpec: Codable, Equatable, Sendable {
    /// One attribute and its encoding.
    public struct Attribute: Codable, Equatable, Sendable {
        /// The attribute's column name.
        public var name: String
        /// Where its values come from: a column of the event log, or the customer table.
        public var source: AttributeSource
        public var kind: AttributeKind
        /// Categorical: the categories with their own input, most frequent in training first.
        public var categories: [String]
        /// Numeric: the mean of the training rows' values (on the log scale with `logScale`),
        /// which stands in for a missing one.
        public var mean: Double
        /// Numeric: the LSTM and the logistic baselines read `log1p(value)`.
        public var logScale: Bool

        public init(name: String, source: AttributeSource, kind: AttributeKind, categories: [String] = [], mean: Double = 0,
                    logScale: Bool = false) {
            self.name = name
            self.source = source
            self.kind = kind
            self.categories = categories
            self.mean = mean
            self.logScale = logScale
        }

        /// The number of inputs.
        public var width: Int { kind == .categorical ? categories.count + 2 : 2 }
    }

    /// The category that stands for values without their own input.
    public static let otherCategory = "<other>"
    /// The category of rows without a value.
    public static let missingCategory = "<missing>"
    /// The default least number of training rows for a category to get its own input.
    public static let defaultMinCount = 10
    /// The default most categories with their own input, per attribute.
    public static let defaultMaxCategories = 30
    /// No attributes.
    public static let none = AttributeSpec(attributes: [])

    /// The attributes in input order.
    public var attributes: [Attribute]

    public init(attributes: [Attribute]) { self.attributes = attributes }

    /// The number of inputs of all attributes.
    public var width: Int { attributes.reduce(0) { $0 + $1.width } }

    /// The input names in order (see the table above).
    public var inputNames: [String] {
        attributes.flatMap { a -> [String] in
            let prefix = "attribute_\(a.name)"
            switch a.kind {
            case .categorical:
                return (a.categories + [Self.otherCategory, Self.missingCategory]).map { "\(prefix)=\($0)" }
            case .numeric:
                return [prefix, "\(prefix)_missing"]
            }
        }
    }

    /// Why a spec read from a file cannot encode, or nil: names unique, categories unique and
    /// not a reserved name, a finite mean.
    public var inconsistency: String? {
        if Set(attributes.map(\.name)).count != attributes.count { return "an attribute is listed twice" }
        for a in attributes {
            if a.kind == .categorical {
                if Set(a.categories).count != a.categories.count || a.categories.contains(Self.otherCategory)
                    || a.categories.contains(Self.missingCategory) {
                    return "attribute '\(a.name)' lists a category twice, or a reserved one"
                }
            } else if !a.mean.isFinite || !a.categories.isEmpty {
                return "numeric attribute '\(a.name)' has categories or a mean that is not finite"
            }
            if a.kind == .categorical && a.logScale { return "categorical attribute '\(a.name)' has a log scale" }
        }
        return nil
    }

    /// The first attribute `store` does not hold as this spec reads it (name, source and kind),
    /// described for an error; nil when it holds them all.
    public func missing(in store: EventStore) -> String? {
        for a in attributes {
            guard let j = store.attributeIndex(of: a.name) else {
                return a.source == .eventLog
                    ? "attribute '\(a.name)', a column of the event log (--attribute-column \(a.name))"
                    : "attribute '\(a.name)', a column of the customer table (--customers FILE)"
            }
            let held = store.attributes[j]
            if held.source != a.source || held.kind != a.kind {
                return "attribute '\(a.name)' as a \(a.kind.rawValue) \(a.source == .eventLog ? "column of the event log" : "column of the customer table")"
                    + " (the data has it as a \(held.kind.rawValue) \(held.source == .eventLog ? "column of the event log" : "column of the customer table"))"
            }
        }
        return nil
    }

    /// Fits the encoding of every attribute of `store` on training rows: the categories of each
    /// categorical attribute (values as of each row's cutoff) and the mean of each numeric one.
    /// - Parameters:
    ///   - rows: training rows only (never validation or test rows).
    ///   - minCount: the least number of rows for a category to get its own input (≥ 1).
    ///   - maxCategories: the most categories with their own input per attribute (≥ 0).
    /// - Throws: `EventLogError.invalidOption` for bounds out of range.
    /// - Complexity: O(rows · attributes) (see `EventStore.attributeCode`).
    public static func fit(store: EventStore, rows: [SnapshotRow], minCount: Int = defaultMinCount,
                           maxCategories: Int = defaultMaxCategories) throws -> AttributeSpec {
        guard minCount >= 1 else { throw EventLogError.invalidOption("the least count of an attribute category must be at least 1") }
        guard maxCategories >= 0 else { throw EventLogError.invalidOption("the most categories per attribute must not be negative") }
        var attributes: [Attribute] = []
        for (j, column) in store.attributes.enumerated() {
            switch column.kind {
            case .categorical:
                var counts = [Int](repeating: 0, count: column.values.count)
                for row in rows {
                    let code = store.attributeCode(j, customer: Int(row.customer), historyEnd: row.historyEnd)
                    if code >= 0 { counts[Int(code)] += 1 }
                }
                // By name: codes whose values are equal Strings are one category.
                var byName: [String: Int] = [:]
                for (code, n) in counts.enumerated() where n > 0 { byName[column.values[code], default: 0] += n }
                let kept = byName.filter { $0.value >= minCount && $0.key != otherCategory && $0.key != missingCategory }
                    .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                    .prefix(maxCategories).map(\.key)
                attributes.append(Attribute(name: column.name, source: column.source, kind: .categorical, categories: kept))
            case .numeric:
                var values: [Double] = []
                for row in rows {
                    let code = store.attributeCode(j, customer: Int(row.customer), historyEnd: row.historyEnd)
                    if code >= 0 { values.append(column.numbers[Int(code)]) }
                }
                let logScale = (values.min() ?? -1) >= 0 && skewness(values) > 2
                let scaled = logScale ? values.map { Foundation.log1p($0) } : values
                let mean = scaled.isEmpty ? 0 : scaled.reduce(0, +) / Double(scaled.count)
                attributes.append(Attribute(name: column.name, source: column.source, kind: .numeric, mean: mean, logScale: logScale))
            }
        }
        return AttributeSpec(attributes: attributes)
    }
}

/// The sample skewness of `x` (0 for fewer than three values or no spread).
func skewness(_ x: [Double]) -> Double {
    guard x.count >= 3 else { return 0 }
    let n = Double(x.count)
    let mean = x.reduce(0, +) / n
    var m2 = 0.0, m3 = 0.0
    for v in x { let d = v - mean; m2 += d * d; m3 += d * d * d }
    m2 /= n; m3 /= n
    return m2 > 0 ? m3 / (m2 * m2.squareRoot()) : 0
}

/// Encodes the attributes of snapshot rows with a fitted `AttributeSpec` (see its table).
///
/// Reads only the rows' values as of their cutoffs; the store's codes are mapped to inputs by
/// value, so the result does not depend on how the store was loaded.
public struct AttributeEncoder: Sendable {
    /// Which model reads the inputs.
    public enum Reader: Sendable {
        /// The LSTM and the logistic regressions, which standardize their inputs: numbers on
        /// their scale (`logScale`), the training mean for a missing one.
        case standardizing
        /// XGBoost: numbers as they are, NaN for a missing one.
        case trees
    }

    public let spec: AttributeSpec
    public let store: EventStore
    /// Per attribute: its index among the store's attributes.
    private let column: [Int]
    /// Per attribute: the input offset of its first input.
    private let offset: [Int]
    /// Categorical attributes: per store code, the position of its input among the attribute's
    /// (`categories.count` for `<other>`).
    private let slotOfCode: [[Int32]]

    /// Prepares the encoding of `store`'s attributes.
    /// - Precondition: `spec.missing(in: store) == nil` (the loader reads what the spec names).
    public init(spec: AttributeSpec, store: EventStore) {
        precondition(spec.missing(in: store) == nil, "the store lacks " + (spec.missing(in: store) ?? ""))
        self.spec = spec
        self.store = store
        column = spec.attributes.map { store.attributeIndex(of: $0.name)! }
        var offsets: [Int] = [], o = 0
        for a in spec.attributes { offsets.append(o); o += a.width }
        offset = offsets
        slotOfCode = zip(spec.attributes, column).map { a, j in
            guard a.kind == .categorical else { return [] }
            let position = Dictionary(a.categories.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { first, _ in first })
            return store.attributes[j].values.map { position[$0] ?? Int32(a.categories.count) }
        }
    }

    /// The number of inputs (`spec.width`).
    public var width: Int { spec.width }

    /// Writes the `width` inputs of `row` (raw, before any standardization) to `out`.
    @inline(__always)
    public func encode(_ row: SnapshotRow, into out: UnsafeMutablePointer<Float>, for reader: Reader) {
        let customer = Int(row.customer)
        for (i, a) in spec.attributes.enumerated() {
            let o = out + offset[i]
            let code = store.attributeCode(column[i], customer: customer, historyEnd: row.historyEnd)
            switch a.kind {
            case .categorical:
                o.update(repeating: 0, count: a.width)
                o[code >= 0 ? Int(slotOfCode[i][Int(code)]) : a.categories.count + 1] = 1
            case .numeric:
                if code >= 0 {
                    let x = store.attributes[column[i]].numbers[Int(code)]
                    o[0] = Float(a.logScale && reader == .standardizing ? Foundation.log1p(x) : x)
                    o[1] = 0
                } else {
                    o[0] = reader == .standardizing ? Float(a.mean) : .nan
                    o[1] = 1
                }
            }
        }
    }

    /// The inputs of `row` as doubles (the logistic baselines).
    public func encoded(_ row: SnapshotRow) -> [Double] {
        var out = [Float](repeating: 0, count: width)
        out.withUnsafeMutableBufferPointer { if let base = $0.baseAddress { encode(row, into: base, for: .standardizing) } }
        return out.map(Double.init)
    }

    /// The value of the attribute `name` for `row` as written (nil when missing or not an attribute).
    public func value(named name: String, row: SnapshotRow) -> String? {
        guard let i = spec.attributes.firstIndex(where: { $0.name == name }) else { return nil }
        let code = store.attributeCode(column[i], customer: Int(row.customer), historyEnd: row.historyEnd)
        return code >= 0 ? store.attributes[column[i]].values[Int(code)] : nil
    }
}
