// Times the data layer on one event log: parse + store, snapshot, fit features, featurize.
// Built and run by scripts/bench/data_layer.sh (a throwaway package that depends on this one).
import EventLog
import Snapshots
import Features
import Foundation

let args = CommandLine.arguments
guard args.count >= 2 else {
    FileHandle.standardError.write(Data("usage: DataLayerBench FILE [--value-column NAME] [--horizon D]\n".utf8))
    exit(64)
}
let path = args[1]
var values: [String] = []
var horizon = TimeSpan.days(30)
var i = 2
while i < args.count {
    if args[i] == "--value-column", i + 1 < args.count { values.append(args[i + 1]); i += 2; continue }
    if args[i] == "--horizon", i + 1 < args.count, let h = TimeSpan(parsing: args[i + 1]) { horizon = h; i += 2; continue }
    i += 1
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

do {
    let t0 = now()
    let (store, report) = try CSVEventReader.load(paths: [path], options: LoadOptions(columns: ColumnMapping(values: values)))
    let t1 = now()
    let cutoff = SnapshotBuilder.defaultCutoff(store: store, horizon: horizon)
    let snapshot = SnapshotBuilder.make(store: store, cutoff: cutoff, options: SnapshotOptions(horizon: horizon))
    let t2 = now()
    let spec = try FeatureSpec.fit(store: store, rows: snapshot.rows)
    let t3 = now()
    // Featurize every row end to end, as `churn-predict --dump-features` does.
    let featurizer = Featurizer(spec: spec, store: store)
    let features = featurizer.concatenated(snapshot.rows)
    let steps = features.lengths.reduce(0) { $0 + Int($1) }
    let checksum = features.numeric.first ?? 0
    let t4 = now()
    let mb = Double(report.bytesRead) / 1e6
    let total = t4 - t0
    print(String(format: "load=%.3fs snapshot=%.3fs fit=%.3fs featurize=%.3fs total=%.3fs", t1 - t0, t2 - t1, t3 - t2, t4 - t3, total))
    print("events=\(store.eventCount) customers=\(store.customerCount) rows=\(snapshot.rows.count) steps=\(steps) bad=\(report.badRows) checksum=\(checksum)")
    print(String(format: "load_events_per_second=%.0f load_mb_per_second=%.1f pipeline_events_per_second=%.0f peak_rss_mib=%.0f",
                 Double(store.eventCount) / (t1 - t0), mb / (t1 - t0), Double(store.eventCount) / total, peakRSSMiB()))
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(65)
}
