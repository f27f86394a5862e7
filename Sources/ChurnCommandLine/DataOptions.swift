import ChurnSupport
import EventLog
import Snapshots
import Foundation

/// The flags that read event logs, shared by churn-train, churn-evaluate and churn-predict.
public struct DataOptions {
    public static let events = Option<String>.text("events", .repeated, value: "FILE", help: "Event log CSV (.gz, or - for standard input).")
    public static let customerColumn = Option<String>.text("customer-column", value: "NAME", help: "Column with the customer id.",
                                                           default: ColumnMapping().customer)
    public static let timeColumn = Option<String>.text("time-column", value: "NAME", help: "Column with the event time.",
                                                       default: ColumnMapping().time)
    public static let eventColumn = Option<String>.text("event-column", value: "NAME", help: "Column with the event type.",
                                                        default: ColumnMapping().event)
    public static let valueColumn = Option<String>.text("value-column", .repeated, value: "NAME",
                                                        help: "Numeric column to use, e.g. amount (empty = 0).")
    public static let strict = Option<Bool>.flag("strict", help: "Stop at the first bad row (exit 65) instead of skipping it.")
    public static let attributeColumn = Option<String>.text(
        "attribute-column", .repeated, value: "NAME",
        help: "Column of the log with a customer attribute (plan, country…), read as of the cutoff: its latest non-empty value before it.")
    public static let customers = Option<String>.text(
        "customers", value: "FILE",
        help: "CSV of static customer attributes: customer id plus one column per attribute (not point-in-time).")
    public static let categorical = Option<String>.text("categorical", .repeated, value: "NAME",
                                                        help: "Read attribute NAME as categories (default: inferred from its values).")
    public static let numeric = Option<String>.text("numeric", .repeated, value: "NAME",
                                                    help: "Read attribute NAME as numbers (text there makes a bad row).")

    public static let specs: [OptionSpec] = [events, customerColumn, timeColumn, eventColumn, valueColumn].map(\.spec) + [strict.spec]
        + [attributeColumn, customers, categorical, numeric].map(\.spec)

    /// A customer attribute as a model file stores it: the tools that read a model load exactly these.
    public struct ModelAttribute: Sendable {
        public var name: String
        public var source: AttributeSource
        public var kind: AttributeKind

        public init(name: String, source: AttributeSource, kind: AttributeKind) {
            self.name = name
            self.source = source
            self.kind = kind
        }
    }

    public var paths: [String]
    public var columns: ColumnMapping
    public var strict: Bool
    /// Event-log columns read as attributes, in order.
    public var attributeColumns: [String]
    /// The customer table, if any.
    public var customersPath: String?
    /// Kinds given rather than inferred (the flags, or the model's).
    public var declaredKinds: [String: AttributeKind]
    /// With a model: the customer-table attributes it reads (the rest of the table is ignored).
    public var tableAttributes: [String]?

    /// - Parameters:
    ///   - columnsFromModel: the model's input columns, used for flags not given.
    ///   - attributesFromModel: the model's attributes: they are read as the model has them, and
    ///     `--attribute-column`, `--categorical` and `--numeric` may only repeat them.
    public init(parsing a: ParsedArguments, columnsFromModel: ColumnMapping? = nil,
                attributesFromModel: [ModelAttribute]? = nil) throws {
        paths = try a.values(Self.events)
        guard !paths.isEmpty else { throw CommandError(.usage, "missing required option --events FILE (see --help)") }
        let base = columnsFromModel ?? ColumnMapping()
        columns = ColumnMapping(customer: try a.given(Self.customerColumn) ?? base.customer,
                                time: try a.given(Self.timeColumn) ?? base.time,
                                event: try a.given(Self.eventColumn) ?? base.event,
                                values: a.has(Self.valueColumn.name) ? try a.values(Self.valueColumn) : base.values)
        strict = a.flag(Self.strict)
        if let model = columnsFromModel, columns.values != model.values {
            throw CommandError(.usage, "--value-column \(columns.values.joined(separator: ",")): the model was trained on value columns "
                               + "[\(model.values.joined(separator: ","))]; give the same columns in the same order, or omit --value-column")
        }
        if paths.filter({ $0 == "-" }).count > 1 { throw CommandError(.usage, "--events - (standard input) can be given only once") }

        customersPath = try a.given(Self.customers)
        if let path = customersPath, path != "-" {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw CommandError(.noInput, "\(path): no such file (given with --customers)")
            }
        }
        if customersPath == "-" && paths.contains("-") {
            throw CommandError(.usage, "--customers - and --events - cannot both read standard input")
        }
        let given = try a.values(Self.attributeColumn)
        let categorical = try a.values(Self.categorical), numeric = try a.values(Self.numeric)
        if let model = attributesFromModel {
            let logged = model.filter { $0.source == .eventLog }.map(\.name)
            if a.has(Self.attributeColumn.name), given != logged {
                throw CommandError(.usage, "--attribute-column \(given.joined(separator: ",")): the model was trained on the event-log attributes "
                                   + "[\(logged.joined(separator: ","))]; give the same columns in the same order, or omit --attribute-column")
            }
            if !categorical.isEmpty || !numeric.isEmpty {
                throw CommandError(.usage, "--categorical and --numeric are for training: the model reads each attribute as it was trained")
            }
            attributeColumns = logged
            declaredKinds = Dictionary(uniqueKeysWithValues: model.map { ($0.name, $0.kind) })
            let table = model.filter { $0.source == .customerTable }.map(\.name)
            tableAttributes = table
            if let first = table.first, customersPath == nil {
                throw CommandError(.usage, "the model reads attribute '\(first)' from a customer table: give it with --customers FILE "
                                   + "(the model's table attributes: \(table.joined(separator: ", ")))")
            }
        } else {
            attributeColumns = given
            tableAttributes = nil
            if let twice = Self.firstRepeat(given) { throw CommandError(.usage, "--attribute-column \(twice) is given twice") }
            let reserved = [columns.customer, columns.time, columns.event] + columns.values
            if let clash = given.first(where: reserved.contains) {
                throw CommandError(.usage, "--attribute-column \(clash) is already the customer, time, event or a value column")
            }
            if let both = Set(categorical).intersection(numeric).sorted().first {
                throw CommandError(.usage, "attribute '\(both)' is given both --categorical and --numeric")
            }
            if customersPath == nil, let stray = (categorical + numeric).first(where: { !given.contains($0) }) {
                throw CommandError(.usage, "--categorical/--numeric \(stray): not an --attribute-column (and no --customers table is given)")
            }
            declaredKinds = Dictionary(categorical.map { ($0, .categorical) } + numeric.map { ($0, .numeric) }, uniquingKeysWith: { a, _ in a })
        }
    }

    private static func firstRepeat(_ names: [String]) -> String? {
        var seen = Set<String>()
        return names.first { !seen.insert($0).inserted }
    }

    /// Loads the event logs (with their attribute columns) and the customer table, printing the
    /// bad-row summary and how many customers the table does not list to standard error.
    /// - Parameters:
    ///   - customerFilter: keep only these customers' rows (`LoadOptions.customerFilter`).
    ///   - training: warn that a customer table is static (its values may postdate the cutoffs).
    public func load(threads: Int = Threading.threadCount, customerFilter: (@Sendable (UnsafeBufferPointer<UInt8>) -> Bool)? = nil,
                     training: Bool = false) throws -> (store: EventStore, report: LoadReport) {
        for path in paths where path != "-" {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                throw CommandError(.noInput, "\(path): no such file (given with --events)")
            }
            if isDirectory.boolValue { throw CommandError(.noInput, "\(path) is a directory, not an event log (--events)") }
        }
        let kinds = declaredKinds.filter { attributeColumns.contains($0.key) }
        var result: (store: EventStore, report: LoadReport)
        do {
            result = try CSVEventReader.load(paths: paths, options: LoadOptions(columns: columns, attributeColumns: attributeColumns,
                                                                                attributeKinds: kinds, strict: strict,
                                                                                threads: threads, customerFilter: customerFilter))
        } catch let error as EventLogError {
            guard case .missingColumn(_, let column, _) = error, attributeColumns.contains(column) else { throw error }
            throw CommandError(.dataError, error.description + (tableAttributes != nil
                ? " (the model reads attribute '\(column)' from this column of the log)" : " (given with --attribute-column)"))
        }
        let lines = result.report.summaryLines()
        if result.report.badRows > 0 {
            for line in lines { Terminal.error("warning: \(line)") }
        } else if let first = lines.first {
            Terminal.error(first)
        }
        if let path = customersPath, tableAttributes?.isEmpty != true {
            let table = try CustomerTable.load(path: path, customerColumns: [columns.customer, ColumnMapping().customer],
                                               attributes: tableAttributes,
                                               categorical: Set(declaredKinds.filter { $0.value == .categorical }.keys).subtracting(attributeColumns),
                                               numeric: Set(declaredKinds.filter { $0.value == .numeric }.keys).subtracting(attributeColumns))
            let (store, unlisted) = try result.store.adding(table)
            result.store = store
            let names = table.columns.map { "\($0.name) (\($0.kind.rawValue))" }.joined(separator: ", ")
            Terminal.error("\(path): \(table.rows.count) customers, attributes \(names)")
            if unlisted > 0 {
                Terminal.error("warning: \(unlisted) of \(store.customerCount) customers of the event log are not in \(path); their attributes are missing")
            }
            if training {
                Terminal.error("warning: --customers attributes are static: each customer's row is used at every cutoff, so a value that "
                               + "changed because the customer churned (a plan set to 'cancelled', a closing date) leaks the label into training. "
                               + "Give values that change over time as columns of the log (--attribute-column), which are read as of each cutoff.")
            }
        } else if customersPath != nil {
            Terminal.error("warning: --customers is not read: the model uses no customer-table attributes")
        }
        return result
    }
}

/// The flags that define snapshots and labels.
public struct LabelOptions {
    public static let cutoff = Option<Int64>.instant("cutoff", help: "Snapshot instant; history is before it.",
                                                     defaultDescription: "latest event − horizon")
    public static let horizon = Option<TimeSpan>.duration("horizon", help: "Label window length, e.g. 30d, 12w, 36h.",
                                                          default: .days(30))
    public static let churnEvent = Option<String>.text("churn-event", value: "NAME",
                                                       help: "Churn = this event in the window (else: no event at all).")
    public static let activeWithin = Option<TimeSpan>.duration("active-within",
                                                               help: "Keep customers with an event this close before the cutoff.")
    public static let labels = Option<String>.text("labels", value: "FILE", help: "CSV customer_id,churned (0/1) instead of window labels.")

    /// The declarations; with `modelDefaults` horizon and churn definition default to the model's.
    public static func specs(modelDefaults: Bool, cutoff: Option<Int64> = cutoff) -> [OptionSpec] {
        guard modelDefaults else { return [cutoff.spec, horizon.spec, churnEvent.spec, activeWithin.spec, labels.spec] }
        return [cutoff.spec, horizon.with(default: .some(nil), defaultDescription: "the model's").spec,
                churnEvent.with(defaultDescription: "the model's").spec, activeWithin.with(defaultDescription: "the model's").spec,
                labels.spec]
    }

    public var cutoffs: [Int64]
    /// The horizon given (`nil`: the tool's default, or the model's).
    public var horizon: TimeSpan?
    public var definition: ChurnDefinition?
    public var activeWithin: TimeSpan?
    public var labelsPath: String?

    public init(parsing a: ParsedArguments) throws {
        cutoffs = try a.values(Self.cutoff)
        horizon = try a.given(Self.horizon)
        definition = try a.given(Self.churnEvent).map { .event($0) }
        activeWithin = try a.given(Self.activeWithin)
        labelsPath = try a.given(Self.labels)
        if let path = labelsPath, path != "-", !FileManager.default.fileExists(atPath: path) {
            throw CommandError(.noInput, "\(path): no such file (given with --labels)")
        }
    }

    /// The label settings: the flags given, else the model's (`model`), else the defaults.
    public func snapshotOptions(model: SnapshotOptions? = nil) -> SnapshotOptions {
        SnapshotOptions(horizon: horizon ?? model?.horizon ?? Self.horizon.defaultValue!,
                        definition: definition ?? model?.definition ?? .inactivity,
                        activeWithin: activeWithin ?? model?.activeWithin)
    }

    public func labelSource() throws -> LabelSource {
        guard let path = labelsPath else { return .window }
        return .external(try ExternalLabels.load(path: path))
    }
}

/// Runs `body`, turning any library error into a `CommandError` with its exit code.
/// - Parameter hint: flags to name after the message of a library error (`nil`: none).
public func runReportingErrors<T>(hint: (Error) -> String? = { _ in nil }, _ body: () throws -> T) throws -> T {
    do { return try body() } catch {
        var mapped = CommandError.from(error)
        if let hint = hint(error) { mapped.message += " \(hint)" }
        throw mapped
    }
}
