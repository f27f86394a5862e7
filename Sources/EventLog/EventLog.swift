/// Event logs: CSV reading, the event store, snapshots and features (see issue 4).
public enum EventLogModule {}
