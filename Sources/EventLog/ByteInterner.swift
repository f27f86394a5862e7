/// Interns byte strings (customer ids, event names) as dense `Int32` indices.
///
/// An open-addressing hash table over a byte arena: looking up a known id hashes and compares
/// bytes without allocating, and a new id only appends its bytes to the arena; `String`s are made
/// once, at the end (`strings`). Indices are given in order of first appearance.
struct ByteInterner {
    private var arena: [UInt8] = []
    private var offsets: [Int] = [0]
    private var hashes: [UInt64] = []
    private var table: [Int32]
    private var mask: Int

    init(initialCapacity: Int = 1024) {
        var size = 16
        while size < initialCapacity * 2 { size <<= 1 }
        table = [Int32](repeating: -1, count: size)
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
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < n { w |= UInt64(base[i]) << shift; shift += 8; i += 1 }
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
            let index = table[slot]
            if index < 0 { break }
            if hashes[Int(index)] == h && equals(Int(index), bytes) { return index }
            slot = (slot + 1) & mask
        }
        let index = Int32(hashes.count)
        table[slot] = index
        hashes.append(h)
        arena.append(contentsOf: bytes)
        offsets.append(arena.count)
        if hashes.count * 2 > table.count { grow() }
        return index
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
            let index = table[slot]
            if index < 0 { return nil }
            if hashes[Int(index)] == h && equals(Int(index), bytes) { return index }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    private func equals(_ index: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = offsets[index]
        let length = offsets[index + 1] - start
        guard length == bytes.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            for k in 0..<length where a[start + k] != bytes[k] { return false }
            return true
        }
    }

    private mutating func grow() {
        let size = table.count * 2
        table = [Int32](repeating: -1, count: size)
        mask = size - 1
        for (index, h) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: h) & mask
            while table[slot] >= 0 { slot = (slot + 1) & mask }
            table[slot] = Int32(index)
        }
    }
}
