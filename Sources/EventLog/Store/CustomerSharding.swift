import Foundation

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

    /// A customer filter (`LoadOptions.customerFilter`, `EventStoreBuilder`) that keeps shard
    /// `index` of `count`, by the id bytes as stored.
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
}
