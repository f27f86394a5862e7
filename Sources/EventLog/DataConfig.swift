/// The data-layer settings a model file stores in its config, so evaluate and predict read,
/// label and featurize exactly as training did.
public struct DataConfig: Codable, Equatable, Sendable {
    /// Input columns (`--customer-column`, `--time-column`, `--event-column`, `--value-column`).
    public var columns: ColumnMapping
    /// The label window length.
    public var horizon: TimeSpan
    /// The churn definition of the labels.
    public var churnDefinition: ChurnDefinition
    /// The `--active-within` filter of training, if any.
    public var activeWithin: TimeSpan?
    /// Vocabulary, numeric features and their standardization, max events.
    public var features: FeatureSpec

    public init(columns: ColumnMapping, horizon: TimeSpan, churnDefinition: ChurnDefinition,
                activeWithin: TimeSpan? = nil, features: FeatureSpec) {
        self.columns = columns
        self.horizon = horizon
        self.churnDefinition = churnDefinition
        self.activeWithin = activeWithin
        self.features = features
    }

    /// The snapshot options these settings imply.
    public var snapshotOptions: SnapshotOptions {
        SnapshotOptions(horizon: horizon, definition: churnDefinition, activeWithin: activeWithin)
    }
}

/// Stable assignment of customers to shards (`churn-predict --shard I/N`).
public enum CustomerSharding {
    /// The 64-bit FNV-1a hash of the id's UTF-8 bytes: the same on every platform and run.
    public static func stableHash(_ id: String) -> UInt64 {
        var id = id
        return id.withUTF8 { stableHash(bytes: $0) }
    }

    /// The 64-bit FNV-1a hash of UTF-8 bytes.
    public static func stableHash(bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }

    /// A loader filter (`LoadOptions.customerFilter`) that keeps shard `index` of `count`.
    public static func filter(shard index: Int, count: Int) -> @Sendable (UnsafeBufferPointer<UInt8>) -> Bool {
        precondition(count >= 1 && (0..<count).contains(index))
        return { stableHash(bytes: $0) % UInt64(count) == UInt64(index) }
    }

    /// The shard (`0..<count`) of a customer id.
    /// - Precondition: `count >= 1`.
    public static func shard(of id: String, count: Int) -> Int {
        precondition(count >= 1)
        return Int(stableHash(id) % UInt64(count))
    }

    /// The rows whose customer falls in shard `index` of `count` (0-based), in their order.
    /// - Complexity: O(rows · id length).
    public static func rows(_ rows: [SnapshotRow], of store: EventStore, shard index: Int, count: Int) -> [SnapshotRow] {
        rows.filter { shard(of: store.customerIDs[Int($0.customer)], count: count) == index }
    }
}
