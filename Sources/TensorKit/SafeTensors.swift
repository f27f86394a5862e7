import ChurnSupport
import Foundation

/// The safetensors file format: an 8-byte little-endian header length, a JSON header
/// (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}`),
/// then the raw little-endian tensor bytes.
///
/// The reader trusts nothing: it checks the header length against the file size, the JSON,
/// every dtype, shape and offset range (in bounds, matching the shape, not overlapping, covering
/// the data section), and throws `SafeTensorsError` with a description a user can act on.
public enum SafeTensors {
    /// Element types this project reads and writes.
    public enum DType: String, Sendable {
        case f32 = "F32", i32 = "I32", i64 = "I64", f64 = "F64"
        /// Raw bytes, such as a serialized gradient-boosted model.
        case u8 = "U8"

        public var byteSize: Int {
            switch self {
            case .u8: return 1
            case .f32, .i32: return 4
            case .i64, .f64: return 8
            }
        }
    }

    /// One tensor of a safetensors file: dtype, shape and raw little-endian bytes.
    public struct Entry: Sendable, Equatable {
        public var dtype: DType
        public var shape: [Int]
        public var data: Data

        public init(dtype: DType, shape: [Int], data: Data) {
            self.dtype = dtype
            self.shape = shape
            self.data = data
        }

        public init(_ tensor: Tensor) {
            self.init(floats: tensor.storage, shape: tensor.shape)
        }

        public init(floats: [Float], shape: [Int]) {
            precondition(floats.count == shape.reduce(1, *))
            self.init(dtype: .f32, shape: shape,
                      data: floats.withUnsafeBufferPointer { Data(buffer: $0) })
        }

        public init(int32s: [Int32], shape: [Int]) {
            precondition(int32s.count == shape.reduce(1, *))
            self.init(dtype: .i32, shape: shape,
                      data: int32s.withUnsafeBufferPointer { Data(buffer: $0) })
        }

        public init(int64s: [Int64], shape: [Int]) {
            precondition(int64s.count == shape.reduce(1, *))
            self.init(dtype: .i64, shape: shape,
                      data: int64s.withUnsafeBufferPointer { Data(buffer: $0) })
        }

        /// A one-dimensional U8 tensor holding `bytes`.
        public init(bytes: [UInt8]) {
            self.init(dtype: .u8, shape: [bytes.count], data: Data(bytes))
        }

        public var elementCount: Int { shape.reduce(1, *) }

        /// The elements as bytes (U8 only).
        public func bytes() throws -> [UInt8] {
            guard dtype == .u8 else { throw SafeTensorsError.wrongDType(expected: "U8", found: dtype.rawValue) }
            return [UInt8](data)
        }

        /// The elements as Float (F32 only).
        public func floats() throws -> [Float] {
            guard dtype == .f32 else { throw SafeTensorsError.wrongDType(expected: "F32", found: dtype.rawValue) }
            return data.withUnsafeBytes { raw in
                (0..<elementCount).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
        }

        /// The elements as Int32 (I32 only).
        public func int32s() throws -> [Int32] {
            guard dtype == .i32 else { throw SafeTensorsError.wrongDType(expected: "I32", found: dtype.rawValue) }
            return data.withUnsafeBytes { raw in
                (0..<elementCount).map { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
            }
        }

        /// The elements as Int64 (I64 only).
        public func int64s() throws -> [Int64] {
            guard dtype == .i64 else { throw SafeTensorsError.wrongDType(expected: "I64", found: dtype.rawValue) }
            return data.withUnsafeBytes { raw in
                (0..<elementCount).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
            }
        }

        public func tensor() throws -> Tensor { Tensor(shape: shape, storage: try floats()) }
    }

    /// A parsed file: tensors by name and the string metadata.
    public struct File: Sendable {
        public var tensors: [String: Entry]
        public var metadata: [String: String]

        public init(tensors: [String: Entry] = [:], metadata: [String: String] = [:]) {
            self.tensors = tensors
            self.metadata = metadata
        }
    }

    /// Header length beyond which a file is considered foreign (the reference implementation
    /// uses 100 MB).
    public static let maximumHeaderLength = 100_000_000

    /// Parses a whole file held in memory.
    /// - Throws: `SafeTensorsError` describing the first inconsistency found.
    public static func decode(_ bytes: Data) throws -> File {
        guard bytes.count >= 8 else { throw SafeTensorsError.truncated("file is \(bytes.count) bytes, shorter than the 8-byte header length") }
        let headerLength64 = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength64 <= UInt64(maximumHeaderLength) else {
            throw SafeTensorsError.invalidHeader("header length \(headerLength64) is implausibly large (not a safetensors file?)")
        }
        let headerLength = Int(headerLength64)
        guard 8 + headerLength <= bytes.count else {
            throw SafeTensorsError.truncated("header length \(headerLength) runs past the end of the \(bytes.count)-byte file")
        }
        let headerBytes = bytes.subdata(in: bytes.startIndex + 8 ..< bytes.startIndex + 8 + headerLength)
        guard let first = headerBytes.first, first == UInt8(ascii: "{") else {
            throw SafeTensorsError.invalidHeader("header does not start with a JSON object (not a safetensors file?)")
        }
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: headerBytes) } catch {
            throw SafeTensorsError.invalidHeader("header is not valid JSON")
        }
        guard let object = json as? [String: Any] else { throw SafeTensorsError.invalidHeader("header is not a JSON object") }
        let dataStart = 8 + headerLength
        let dataLength = bytes.count - dataStart
        var file = File()
        var ranges: [(Int, Int, String)] = []
        for (name, value) in object {
            if name == "__metadata__" {
                guard let meta = value as? [String: Any] else { throw SafeTensorsError.invalidHeader("__metadata__ is not an object") }
                for (key, item) in meta {
                    guard let text = item as? String else { throw SafeTensorsError.invalidHeader("metadata '\(key)' is not a string") }
                    file.metadata[key] = text
                }
                continue
            }
            guard let info = value as? [String: Any],
                  let dtypeName = info["dtype"] as? String,
                  let shapeValues = info["shape"] as? [Any],
                  let offsetValues = info["data_offsets"] as? [Any], offsetValues.count == 2 else {
                throw SafeTensorsError.invalidHeader("tensor '\(name)' lacks dtype, shape or data_offsets")
            }
            guard let dtype = DType(rawValue: dtypeName) else { throw SafeTensorsError.unsupportedDType(name: name, dtype: dtypeName) }
            let shape = try shapeValues.map { try exactInt($0, what: "shape of '\(name)'") }
            guard shape.allSatisfy({ $0 >= 0 && $0 < 1 << 40 }) else { throw SafeTensorsError.invalidHeader("tensor '\(name)' has an invalid shape \(shape)") }
            let begin = try exactInt(offsetValues[0], what: "offsets of '\(name)'")
            let end = try exactInt(offsetValues[1], what: "offsets of '\(name)'")
            var elements = 1
            for d in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow, product < 1 << 40 else { throw SafeTensorsError.invalidHeader("tensor '\(name)' is too large") }
                elements = product
            }
            guard begin >= 0, end >= begin, end <= dataLength else {
                throw SafeTensorsError.invalidOffsets("tensor '\(name)' spans bytes \(begin)..<\(end) of a \(dataLength)-byte data section"
                                                    + (end > dataLength ? " (a truncated file?)" : ""))
            }
            guard end - begin == elements * dtype.byteSize else {
                throw SafeTensorsError.shapeMismatch("tensor '\(name)' has \(end - begin) bytes for shape \(shape) of \(dtype.rawValue)")
            }
            ranges.append((begin, end, name))
            let data = bytes.subdata(in: bytes.startIndex + dataStart + begin ..< bytes.startIndex + dataStart + end)
            file.tensors[name] = Entry(dtype: dtype, shape: shape, data: data)
        }
        // Tensors must tile the data section exactly: no overlaps, no holes, nothing trailing.
        ranges.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        var cursor = 0
        for (begin, end, name) in ranges {
            guard begin == cursor else {
                throw SafeTensorsError.invalidOffsets(begin < cursor ? "tensor '\(name)' overlaps another tensor" : "gap before tensor '\(name)' in the data section")
            }
            cursor = end
        }
        guard cursor == dataLength else {
            throw SafeTensorsError.invalidOffsets("data section is \(dataLength) bytes but the tensors cover \(cursor) (truncated or padded file)")
        }
        return file
    }

    private static func exactInt(_ value: Any, what: String) throws -> Int {
        // JSON booleans arrive as a distinct NSNumber subclass; refuse them as numbers.
        if let number = value as? NSNumber, !String(describing: type(of: number)).contains("Boolean"),
           let integer = value as? Int {
            return integer
        }
        throw SafeTensorsError.invalidHeader("\(what) must be whole numbers")
    }

    /// Serializes tensors (sorted by name, so output is deterministic) and metadata.
    public static func encode(_ file: File) throws -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        let names = file.tensors.keys.sorted()
        for name in names {
            let entry = file.tensors[name]!
            precondition(entry.data.count == entry.elementCount * entry.dtype.byteSize, "tensor \(name) data does not match its shape")
            header[name] = ["dtype": entry.dtype.rawValue, "shape": entry.shape,
                            "data_offsets": [offset, offset + entry.data.count]] as [String: Any]
            offset += entry.data.count
        }
        if !file.metadata.isEmpty { header["__metadata__"] = file.metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so the data section starts 8-byte aligned.
        while (8 + json.count) % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names { out.append(file.tensors[name]!.data) }
        return out
    }

    /// The bytes of a file, with errors a user can act on ("no such file", "is a directory",
    /// "permission denied") rather than Foundation's generic ones.
    /// - Throws: `SafeTensorsError.unreadable`.
    public static func contents(of url: URL) throws -> Data {
        var info = stat()
        if stat(url.path, &info) != 0 { throw SafeTensorsError.unreadable(path: url.path, reason: String(cString: strerror(errno))) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw SafeTensorsError.unreadable(path: url.path, reason: "it is a directory") }
        if access(url.path, R_OK) != 0 { throw SafeTensorsError.unreadable(path: url.path, reason: String(cString: strerror(errno))) }
        do { return try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw SafeTensorsError.unreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }

    /// Reads and validates a file from disk.
    public static func read(from url: URL) throws -> File {
        let bytes = try contents(of: url)
        do { return try decode(bytes) } catch let error as SafeTensorsError {
            throw SafeTensorsError.inFile(path: url.path, error)
        }
    }

    /// Writes a file atomically: a temporary file in the same directory, then a rename, so a
    /// reader (or a crash) never sees a partial file.
    public static func write(_ file: File, to url: URL) throws {
        let data = try encode(file)
        try AtomicFile.write(data, to: url)
    }
}

/// Why a safetensors file was refused.
public indirect enum SafeTensorsError: CategorizedError, Equatable {
    public var category: ErrorCategory {
        switch self {
        case .unreadable: return .unavailable
        default: return .badData
        }
    }

    case truncated(String)
    case invalidHeader(String)
    case invalidOffsets(String)
    case shapeMismatch(String)
    case unsupportedDType(name: String, dtype: String)
    case wrongDType(expected: String, found: String)
    case unreadable(path: String, reason: String)
    case inFile(path: String, SafeTensorsError)

    public var description: String {
        switch self {
        case .truncated(let why): return "truncated safetensors file: \(why)"
        case .invalidHeader(let why): return "corrupt safetensors header: \(why)"
        case .invalidOffsets(let why): return "corrupt safetensors data: \(why)"
        case .shapeMismatch(let why): return "corrupt safetensors data: \(why)"
        case .unsupportedDType(let name, let dtype): return "tensor '\(name)' has unsupported dtype \(dtype)"
        case .wrongDType(let expected, let found): return "expected a \(expected) tensor, found \(found)"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .inFile(let path, let inner): return "\(path): \(inner)"
        }
    }
}
