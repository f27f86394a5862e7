import ChurnCommandLine
import EventLog
import Snapshots
import Foundation

/// The flags that read event logs, shared by churn-train, churn-evaluate and churn-predict.
public struct DataOptions {
    public static let specs: [OptionSpec] = [
        OptionSpec("events", .repeated, value: "FILE", help: "Event log CSV (.gz, or - for standard input)."),
        OptionSpec("customer-column", value: "NAME", help: "Column with the customer id.", default: "customer_id"),
        OptionSpec("time-column", value: "NAME", help: "Column with the event time.", default: "timestamp"),
        OptionSpec("event-column", value: "NAME", help: "Column with the event type.", default: "event"),
        OptionSpec("value-column", .repeated, value: "NAME", help: "Numeric column to use, e.g. amount (empty = 0)."),
        OptionSpec("strict", .flag, help: "Stop at the first bad row (exit 65) instead of skipping it."),
    ]

    public var paths: [String]
    public var columns: ColumnMapping
    public var strict: Bool

    /// - Parameter columnsFromModel: the model's input columns, used for flags not given.
    public init(parsing a: ParsedArguments, columnsFromModel: ColumnMapping? = nil) throws {
        paths = a.strings("events")
        guard !paths.isEmpty else { throw CommandError(.usage, "missing required option --events FILE (see --help)") }
        let base = columnsFromModel ?? ColumnMapping()
        columns = ColumnMapping(customer: a.string("customer-column") ?? base.customer,
                                time: a.string("time-column") ?? base.time,
                                event: a.string("event-column") ?? base.event,
                                values: a.has("value-column") ? a.strings("value-column") : base.values)
        strict = a.flag("strict")
        if let model = columnsFromModel, columns.values != model.values {
            throw CommandError(.usage, "--value-column \(columns.values.joined(separator: ",")): the model was trained on value columns "
                               + "[\(model.values.joined(separator: ","))]; give the same columns in the same order, or omit --value-column")
        }
        if paths.filter({ $0 == "-" }).count > 1 { throw CommandError(.usage, "--events - (standard input) can be given only once") }
    }

    /// Loads the event logs, printing the bad-row summary to standard error.
    /// - Parameter customerFilter: keep only these customers' rows (`LoadOptions.customerFilter`).
    public func load(threads: Int, customerFilter: (@Sendable (UnsafeBufferPointer<UInt8>) -> Bool)? = nil) throws
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

/// The flags that define snapshots and labels (SPEC §3).
public struct LabelOptions {
    /// - Parameter modelDefaults: the tool takes horizon and churn definition from a model.
    public static func specs(modelDefaults: Bool) -> [OptionSpec] { [
        OptionSpec("cutoff", value: "TIME", help: "Snapshot instant; history is before it.", default: "latest event − horizon"),
        OptionSpec("horizon", value: "DURATION", help: "Label window length, e.g. 30d, 12w, 36h.",
                   default: modelDefaults ? "the model's" : "30d"),
        OptionSpec("churn-event", value: "NAME", help: "Churn = this event in the window (else: no event at all).",
                   default: modelDefaults ? "the model's" : nil),
        OptionSpec("active-within", value: "DURATION", help: "Keep customers with an event this close before the cutoff.",
                   default: modelDefaults ? "the model's" : nil),
        OptionSpec("labels", value: "FILE", help: "CSV customer_id,churned (0/1) instead of window labels."),
    ] }

    public var cutoffs: [Int64]
    public var horizon: TimeSpan?
    public var definition: ChurnDefinition?
    public var activeWithin: TimeSpan?
    public var labelsPath: String?

    public init(parsing a: ParsedArguments) throws {
        cutoffs = try a.strings("cutoff").map { text in
            guard let t = Timestamp.parse(text) else {
                throw CommandError(.usage, "--cutoff expects a date or date-time such as 2024-03-01 or 2024-03-01T12:00:00Z, got '\(text)'")
            }
            return t
        }
        horizon = try a.value("horizon", expected: "a duration such as 30d, 12w or 36h", TimeSpan.init(parsing:))
        if let h = horizon, h.microseconds <= 0 { throw CommandError(.usage, "--horizon must be positive") }
        definition = a.string("churn-event").map { .event($0) }
        activeWithin = try a.value("active-within", expected: "a duration such as 90d", TimeSpan.init(parsing:))
        labelsPath = a.string("labels")
        if let path = labelsPath, path != "-", !FileManager.default.fileExists(atPath: path) {
            throw CommandError(.noInput, "\(path): no such file (given with --labels)")
        }
    }

    public func labelSource() throws -> LabelSource {
        guard let path = labelsPath else { return .window }
        return .external(try ExternalLabels.load(path: path))
    }
}

/// Runs `body`, turning any library error into the `CommandError` of SPEC §6.
public func runReportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch { throw CommandError.from(error) }
}
