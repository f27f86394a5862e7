/// The stable shard of a customer id: FNV-1a (64-bit) of the id's UTF-8 bytes, modulo N.
///
/// Any engine can reproduce it: offset basis 0xcbf29ce484222325, prime 0x100000001b3; for each
/// byte, `hash = (hash XOR byte) * prime` (wrapping); shard = hash mod N. So N processes running
/// `--shard 0/N … --shard N-1/N` on the same input cover every customer exactly once.
public enum Sharding {
    public static func fnv1a(_ id: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    public static func shard(of id: String, count: Int) -> Int {
        Int(fnv1a(id) % UInt64(count))
    }
}
