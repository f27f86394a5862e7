/// A batch of variable-length sequences, sequence-major: the steps of each sequence contiguous.
///
/// This is also the layout of `--dump-features` files (`event_ids [S]`, `numeric [S, F]`,
/// `lengths [B]`), so what the network reads can be reproduced outside the project.
public struct SequenceBatch: Sendable {
    /// Steps per sequence, in batch order; every length is at least 1.
    public var lengths: [Int]
    /// Event id per step, S = sum of lengths.
    public var eventIDs: [Int32]
    /// Numeric features per step, (S, F) row-major.
    public var numeric: [Float]
    /// 0/1 labels per sequence, when training or evaluating.
    public var labels: [Float]?

    public init(lengths: [Int], eventIDs: [Int32], numeric: [Float], labels: [Float]? = nil) {
        precondition(lengths.allSatisfy { $0 >= 1 }, "every sequence needs at least one step")
        precondition(eventIDs.count == lengths.reduce(0, +), "event ids do not match lengths")
        precondition(labels == nil || labels!.count == lengths.count, "one label per sequence")
        self.lengths = lengths
        self.eventIDs = eventIDs
        self.numeric = numeric
        self.labels = labels
    }

    public var count: Int { lengths.count }
    public var totalSteps: Int { eventIDs.count }
}

/// How a batch is packed time-major, as PyTorch's `PackedSequence`: sequences sorted by length
/// (longest first), so that the sequences still running at step t are a prefix of those
/// running at step t − 1, and step t costs only its `batchSizes[t]` active rows.
///
/// Packed row `offsets[t] + j` holds step t of the j-th longest sequence.
public struct PackingPlan: Equatable, Sendable {
    /// Sorted position → index in the batch (stable for equal lengths).
    public let order: [Int]
    /// Active sequences at each step, non-increasing.
    public let batchSizes: [Int]
    /// First packed row of each step, plus the total N at the end.
    public let offsets: [Int]
    /// Packed row of the last step of each sequence, by sorted position.
    public let lastRows: [Int]
    /// First sequence-major row of each sequence, by batch index.
    public let sequenceStarts: [Int]

    public init(lengths: [Int]) {
        let order = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
        let longest = lengths.max() ?? 0
        var sizes = [Int](repeating: 0, count: longest)
        for length in lengths { sizes[length - 1] += 1 }
        // Turn "sequences ending at step t" into "sequences active at step t".
        var running = 0
        for t in stride(from: longest - 1, through: 0, by: -1) { running += sizes[t]; sizes[t] = running }
        var offsets = [0]
        for size in sizes { offsets.append(offsets.last! + size) }
        var starts = [Int](); starts.reserveCapacity(lengths.count)
        var start = 0
        for length in lengths { starts.append(start); start += length }
        self.order = order
        batchSizes = sizes
        self.offsets = offsets
        lastRows = order.enumerated().map { j, b in offsets[lengths[b] - 1] + j }
        sequenceStarts = starts
    }

    /// Splits the sorted positions into at most `count` contiguous ranges of about equal total
    /// steps, for running the time loop of each range on its own core. Ranges are contiguous so
    /// that each one's rows at every step stay contiguous in the packed layout.
    public func partitions(_ count: Int, minimumSequences: Int = 8) -> [Range<Int>] {
        let B = batchCount
        let parts = max(1, min(count, B / max(1, minimumSequences)))
        if parts == 1 { return [0..<B] }
        // Length of the sequence at sorted position j = number of steps with batchSizes[t] > j.
        var lengths = [Int](repeating: 0, count: B)
        for size in batchSizes { for j in 0..<size { lengths[j] += 1 } }
        let total = lengths.reduce(0, +)
        var ranges: [Range<Int>] = []
        var start = 0, accumulated = 0
        for j in 0..<B {
            accumulated += lengths[j]
            let boundary = total * (ranges.count + 1) / parts
            if accumulated >= boundary, ranges.count < parts - 1, j + 1 < B {
                ranges.append(start..<(j + 1))
                start = j + 1
            }
        }
        ranges.append(start..<B)
        return ranges
    }

    public var steps: Int { batchSizes.count }
    public var totalRows: Int { offsets.last ?? 0 }
    public var batchCount: Int { order.count }
}
