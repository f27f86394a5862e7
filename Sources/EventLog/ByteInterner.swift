/// Interns byte strings (customer ids, event names) as dense `Int32` indices.
///
/// An open-addressing hash table over a byte arena: looking up a known id hashes and compares
/// bytes without allocating; only a new id creates a `String`. Indices are given in order of
/// first appearance.
struct ByteInterner {
    private var arena: [UInt8] = []
    private var offsets: [Int] = [0]
    private var hashes: [UInt64] = []
    private var table: [Int32]
    private var mask: Int
    /// The interned strings, by index.
    private(set) var strings: [String] = []

    init(initialCapacity: Int = 1024) {
        var size = 16
        while size < initialCapacity * 2 { size <<= 1 }
        table = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    var count: Int { strings.count }

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
        let h = Self.hash(bytes)
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let index = table[slot]
            if index < 0 { break }
            if hashes[Int(index)] == h && equals(Int(index), bytes) { return index }
            slot = (slot + 1) & mask
        }
        let index = Int32(strings.count)
        table[slot] = index
        hashes.append(h)
        arena.append(contentsOf: bytes)
        offsets.append(arena.count)
        strings.append(String(decoding: bytes, as: UTF8.self))
        if strings.count * 2 > table.count { grow() }
        return index
    }

    /// The index of `bytes` if interned.
    func lookup(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        let h = Self.hash(bytes)
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
