// libFuzzer harness for the event-log reader (CSV, gzip, bad rows) and what follows it:
// snapshots at the default cutoff and feature fitting on them.
//
// The first input byte picks options (strict, value column, chunk size); the rest is the file.
// Properties checked beyond "no crash": the loader's result does not depend on the chunk size
// (chunks are parsed in parallel and merged), and every data row is either loaded or counted bad.
import EventLog
import Features
import Snapshots
import Foundation

/// Loads `bytes` with the given chunk size; a thrown error becomes its description.
func load(_ bytes: [UInt8], options: LoadOptions) -> Result<(EventStore, LoadReport), EventLogError> {
    do {
        var loader = CSVEventReader(options: options)
        try loader.add(source: MemoryByteSource(bytes), name: "fuzz.csv")
        return .success(loader.finish())
    } catch let error as EventLogError {
        return .failure(error)
    } catch {
        preconditionFailure("the loader threw a non-EventLogError: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard size >= 1, let data else { return 0 }
    let flags = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let columns = ColumnMapping(values: flags & 1 != 0 ? ["amount"] : [])
    let strict = flags & 2 != 0
    let small = LoadOptions(columns: columns, strict: strict, threads: 1, chunkSize: 16 + Int(flags >> 4))
    let large = LoadOptions(columns: columns, strict: strict, threads: 1, chunkSize: 1 << 20)
    let a = load(bytes, options: small), b = load(bytes, options: large)
    switch (a, b) {
    case (.success(let (storeA, reportA)), .success(let (storeB, reportB))):
        precondition(storeA.customerIDs == storeB.customerIDs && storeA.times == storeB.times
                     && storeA.events == storeB.events && storeA.values == storeB.values, "the store depends on the chunk size")
        precondition(reportA == reportB, "the report depends on the chunk size:\n\(reportA)\n\(reportB)")
        precondition(reportA.rowsRead == reportA.rowsLoaded + reportA.badRows, "rows neither loaded nor counted bad: \(reportA)")
        precondition(storeA.eventCount == reportA.rowsLoaded)
        _ = reportA.summaryLines()
        exerciseSnapshots(storeA, definition: flags & 4 != 0 ? .event(storeA.eventNames.first ?? "") : .inactivity)
    case (.failure(let errorA), .failure(let errorB)):
        precondition(errorA == errorB, "the error depends on the chunk size: \(errorA) vs \(errorB)")
        _ = errorA.description
    default:
        preconditionFailure("success depends on the chunk size: \(a) vs \(b)")
    }
    return 0
}

/// Snapshots at the default cutoffs, then fitting and applying a feature spec.
func exerciseSnapshots(_ store: EventStore, definition: ChurnDefinition) {
    let options = SnapshotOptions(horizon: .days(30), definition: definition, activeWithin: .days(90))
    let cutoff = SnapshotBuilder.defaultCutoff(store: store, horizon: options.horizon)
    let asOf = SnapshotBuilder.defaultAsOf(store: store)
    for instant in [cutoff, asOf] {
        let snapshot = SnapshotBuilder.make(store: store, cutoff: instant, options: options)
        _ = snapshot.summaryLine
        guard !snapshot.rows.isEmpty, let spec = try? FeatureSpec.fit(store: store, rows: snapshot.rows, maxEvents: 4) else { continue }
        precondition(spec.inconsistency == nil, "fit made an inconsistent spec: \(spec.inconsistency!)")
        let featurizer = Featurizer(spec: spec, store: store)
        for row in snapshot.rows.prefix(8) {
            let sequence = featurizer.featurize(row)
            precondition(sequence.numeric.allSatisfy(\.isFinite), "non-finite feature for \(store.customerIDs[Int(row.customer)])")
        }
    }
}
