/// Labelled sequences the trainer reads a batch at a time: held in memory (`SequenceDataset`) or
/// featurized from the event store when a batch is asked for (so that training memory is the
/// store plus a few batches, not every step of every sequence).
public protocol SequenceSource: Sendable {
    /// The number of sequences.
    var count: Int { get }
    /// Steps per sequence.
    var lengths: [Int] { get }
    /// 0/1 per sequence.
    var labels: [Float] { get }
    /// The sequences `indices` as a batch, in that order; the same sequence is the same bytes
    /// whenever it is asked for.
    func batch(_ indices: some Collection<Int>) -> SequenceBatch
}

extension SequenceSource {
    public var positiveRate: Double { labels.isEmpty ? 0 : Double(labels.reduce(0, +)) / Double(labels.count) }
}

/// Labelled sequences stored contiguously: the training and validation sets of the network.
///
/// Row k covers steps `starts[k] ..< starts[k] + lengths[k]` of `eventIDs` and `numeric (S, F)`;
/// `groups[k]` identifies the customer, so that splits keep every snapshot of a customer on one
/// side.
public struct SequenceDataset: SequenceSource {
    public let numericSize: Int
    public private(set) var lengths: [Int] = []
    public private(set) var starts: [Int] = []
    public private(set) var eventIDs: [Int32] = []
    public private(set) var numeric: [Float] = []
    public private(set) var labels: [Float] = []
    public private(set) var groups: [Int] = []

    public init(numericSize: Int) {
        self.numericSize = numericSize
    }

    public var count: Int { lengths.count }

    /// Appends one sequence.
    /// - Precondition: at least one step, `numeric.count == eventIDs.count · numericSize`.
    public mutating func append(eventIDs ids: some Collection<Int32>, numeric values: some Collection<Float>,
                                label: Float, group: Int) {
        precondition(!ids.isEmpty && values.count == ids.count * numericSize, "malformed sequence")
        starts.append(eventIDs.count)
        lengths.append(ids.count)
        eventIDs.append(contentsOf: ids)
        numeric.append(contentsOf: values)
        labels.append(label)
        groups.append(group)
    }

    /// The rows `indices` as a batch, in that order.
    public func batch(_ indices: some Collection<Int>) -> SequenceBatch {
        var ids: [Int32] = [], values: [Float] = [], lens: [Int] = [], ys: [Float] = []
        let steps = indices.reduce(0) { $0 + lengths[$1] }
        ids.reserveCapacity(steps); values.reserveCapacity(steps * numericSize)
        lens.reserveCapacity(indices.count); ys.reserveCapacity(indices.count)
        for k in indices {
            let s = starts[k], n = lengths[k]
            ids.append(contentsOf: eventIDs[s ..< s + n])
            values.append(contentsOf: numeric[s * numericSize ..< (s + n) * numericSize])
            lens.append(n)
            ys.append(labels[k])
        }
        return SequenceBatch(lengths: lens, eventIDs: ids, numeric: values, labels: ys)
    }
}
