/// Interns byte strings (customer ids, event names) as dense `Int32` indices.
///
/// An open-addressing hash table over a byte arena: looking up a known id hashes and compares
/// bytes without allocating, and a new id only appends its bytes to the arena; `String`s are made
/// once, at the end (`strings`). Indices are given in order of first appearance.
struct ByteInterner {
    private var arena: [UInt8] = []
    private var offsets: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Slots hold the full hash and, for keys of up to 16 bytes, the key itself (zero padded), so
    /// looking up a short known id touches a single slot; longer keys are compared in the arena.
    private struct Slot {
        var hash: UInt64
        var key0: UInt64
        var key1: UInt64
        var length: Int32
        var index: Int32      // -1: empty
        static let empty = Slot(hash: 0, key0: 0, key1: 0, length: 0, index: -1)
    }

    /// The first 16 bytes of a key, zero padded.
    @inline(__always)
    private static func inlineKey(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
        guard let base = bytes.baseAddress else { return (0, 0) }
        let n = bytes.count
        return (loadPartial(base, min(n, 8)), n > 8 ? loadPartial(base + 8, min(n - 8, 8)) : 0)
    }

    /// Bytes `p[0..<count]` (count ≤ 8) as a little-endian word, zero padded, reading no byte
    /// outside them: two overlapping 4-byte loads for 4…7 bytes, three byte loads below.
    @inline(__always)
    static func loadPartial(_ p: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
        let raw = UnsafeRawPointer(p)
        if count >= 8 { return UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self)) }
        if count >= 4 {
            let lo = UInt64(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
            let hi = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)))
            // hi holds bytes count−4 ..< count; its top count − 4 bytes are bytes 4 ..< count.
            return lo | ((hi >> UInt64(8 * (8 - count))) << 32)
        }
        if count == 0 { return 0 }
        // 1…3 bytes: first, middle and last (which coincide for shorter keys).
        return UInt64(p[0]) | UInt64(p[count / 2]) << UInt64(8 * (count / 2)) | UInt64(p[count - 1]) << UInt64(8 * (count - 1))
    }
    private var table: [Slot]
    private var mask: Int

    init(initialCapacity: Int = 1024) {
        var size = 16
        while size < initialCapacity * 2 { size <<= 1 }
        table = [Slot](repeating: .empty, count: size)
        mask = size - 1
    }

    var count: Int { hashes.count }

    /// The interned strings, by index.
    /// - Complexity: O(total bytes); call once.
    var strings: [String] {
        arena.withUnsafeBufferPointer { a in
            (0..<count).map { String(decoding: UnsafeBufferPointer(rebasing: a[offsets[$0]..<offsets[$0 + 1]]), as: UTF8.self) }
        }
    }

    /// Calls `body` with the bytes of entry `index`.
    @inline(__always)
    func withBytes<R>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try arena.withUnsafeBufferPointer { a in try body(UnsafeBufferPointer(rebasing: a[offsets[index]..<offsets[index + 1]])) }
    }

    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        guard let base = bytes.baseAddress else { return h }
        let raw = UnsafeRawPointer(base)
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        if i < n {
            let w = loadPartial(base + i, n - i)
            h = (h ^ w) &* 0x94D0_49BB_1331_11EB
            h ^= h >> 29
        }
        h = (h ^ (h >> 32)) &* 0xD6E8_FEB8_6659_FD93
        return h ^ (h >> 32)
    }

    /// The index of `bytes`, adding it when new.
    /// - Complexity: O(length) expected.
    @inline(__always)
    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        intern(bytes, hash: Self.hash(bytes))
    }

    /// The hash of entry `index` (to intern it elsewhere without hashing again).
    @inline(__always)
    func hash(at index: Int) -> UInt64 { hashes[index] }

    /// `intern(_:)` with the hash already computed by `hash(_:)`.
    @inline(__always)
    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>, hash h: UInt64) -> Int32 {
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let entry = table[slot]
            if entry.index < 0 { break }
            if entry.hash == h && equals(entry, bytes) { return entry.index }
            slot = (slot + 1) & mask
        }
        let index = Int32(hashes.count)
        let key = Self.inlineKey(bytes)
        table[slot] = Slot(hash: h, key0: key.0, key1: key.1, length: Int32(bytes.count), index: index)
        hashes.append(h)
        arena.append(contentsOf: bytes)
        offsets.append(arena.count)
        if hashes.count * 2 > table.count { grow() }
        return index
    }

    /// Reads the home slot of a hash, to start its cache miss early (a software prefetch); the
    /// result only serves to keep the read from being optimized away.
    @inline(__always)
    func touch(hash h: UInt64) -> UInt64 {
        table.withUnsafeBufferPointer { $0[Int(truncatingIfNeeded: h) & mask].hash }
    }

    /// The index of `bytes` if interned.
    @inline(__always)
    func lookup(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        lookup(bytes, hash: Self.hash(bytes))
    }

    /// `lookup(_:)` with the hash already computed.
    @inline(__always)
    func lookup(_ bytes: UnsafeBufferPointer<UInt8>, hash h: UInt64) -> Int32? {
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let entry = table[slot]
            if entry.index < 0 { return nil }
            if entry.hash == h && equals(entry, bytes) { return entry.index }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    private func equals(_ entry: Slot, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let length = Int(entry.length)
        guard length == bytes.count else { return false }
        if length <= 16 {
            let key = Self.inlineKey(bytes)
            return entry.key0 == key.0 && entry.key1 == key.1
        }
        let start = offsets[Int(entry.index)]
        return arena.withUnsafeBufferPointer { a in
            for k in 0..<length where a[start + k] != bytes[k] { return false }
            return true
        }
    }

    private mutating func grow() {
        let size = table.count * 2
        table = [Slot](repeating: .empty, count: size)
        mask = size - 1
        for (index, h) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: h) & mask
            while table[slot].index >= 0 { slot = (slot + 1) & mask }
            var slotValue = Slot.empty
            withBytes(at: index) { bytes in
                let key = Self.inlineKey(bytes)
                slotValue = Slot(hash: h, key0: key.0, key1: key.1, length: Int32(bytes.count), index: Int32(index))
            }
            table[slot] = slotValue
        }
    }
}
