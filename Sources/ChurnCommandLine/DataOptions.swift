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

    public static let specs: [OptionSpec] = [events, customerColumn, timeColumn, eventColumn, valueColumn].map(\.spec) + [strict.spec]

    public var paths: [String]
    public var columns: ColumnMapping
    public var strict: Bool

    /// - Parameter columnsFromModel: the model's input columns, used for flags not given.
    public init(parsing a: ParsedArguments, columnsFromModel: ColumnMapping? = nil) throws {
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
    }

    /// Loads the event logs, printing the bad-row summary to standard error.
    /// - Parameter customerFilter: keep only these customers' rows (`LoadOptions.customerFilter`).
    public func load(threads: Int = Threading.threadCount, customerFilter: (@Sendable (UnsafeBufferPointer<UInt8>) -> Bool)? = nil) throws
        -> (store: EventStore, report: LoadReport) {
        for path in paths where path != "-" {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                throw CommandError(.noInput, "\(path): no such file (given with --events)")
            }
            if isDirectory.boolValue { throw CommandError(.noInput, "\(path) is a directory, not an event log (--events)") }
        }
        let result = try CSVEventReader.load(paths: paths, options: LoadOptions(columns: columns, strict: strict, threads: threads,
                                                                                     customerFilter: customerFilter))
        let lines = result.report.summaryLines()
        if result.report.badRows > 0 {
            for line in lines { Terminal.error("warning: \(line)") }
        } else if let first = lines.first {
            Terminal.error(first)
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
