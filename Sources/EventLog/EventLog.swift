/// Event logs: CSV reading, the event store, snapshots and features (SPEC §2–§4, issue 4).
///
/// Data flows one way: `EventLogLoader` (CSV bytes → `EventStore` + `LoadReport`) →
/// `SnapshotBuilder` (store + cutoff → labelled `SnapshotRow`s) → `FeatureSpec.fit` (training
/// rows → vocabulary and standardization) → `Featurizer` (row → event ids and numeric features;
/// `makeBatch` pads rows for export). Instants are `Int64`
/// microseconds since the epoch (UTC), see `Timestamp`.
public enum EventLogModule {}
