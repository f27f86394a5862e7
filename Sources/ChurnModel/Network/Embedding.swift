import ChurnSupport
import TensorKit

// Shapes: V = vocabulary, E = embedding, F = numeric features, I = E + F, N = packed rows,
// S = N sequence-major.

/// Embedding lookup fused with the concatenation of numeric features: the layer-0 input.
enum Embedding {
    /// Builds packed `x (N, E + F)` rows: `x = concat(weight[eventID], numeric)`.
    /// - Parameters:
    ///   - weight: `(V, E)`; ids outside `0..<V` are rejected by the caller.
    ///   - eventIDs: `(S)` sequence-major; `numeric (S, F)` sequence-major.
    ///   - parts: contiguous ranges of sorted sequence positions, filled in parallel.
    ///   - packedIDs: when given, out `(N)` event id of each packed row. Inference passes it with
    ///     E = 0: the embedding's share of the gates then comes from a per-event-type table and
    ///     `x` holds only the numeric features.
    static func forward(out x: UnsafeMutablePointer<Float>,
                        eventIDs: UnsafePointer<Int32>, numeric: UnsafePointer<Float>,
                        weight: UnsafePointer<Float>, plan: PackingPlan, parts: [Range<Int>], E: Int, F: Int,
                        packedIDs: UnsafeMutablePointer<Int32>? = nil) {
        // eventIDs (S), numeric (S, F), weight (V, E) -> x (N, I), packedIDs (N)
        let I = E + F
        Threading.parallelRegions(parts.count) { part in
            let range = parts[part]
            for t in 0..<plan.steps {
                let base = plan.offsets[t]
                let end = min(range.upperBound, plan.batchSizes[t])
                if end <= range.lowerBound { break }
                for j in range.lowerBound..<end {
                    let source = plan.sequenceStarts[plan.order[j]] + t
                    let row = x + (base + j) * I
                    if E > 0 { row.update(from: weight + Int(eventIDs[source]) * E, count: E) }
                    if F > 0 { (row + E).update(from: numeric + source * F, count: F) }
                    packedIDs?[base + j] = eventIDs[source]
                }
            }
        }
    }

    /// Scatters `dx (N, I)` back: `dweight[eventID] += dx[:, :E]` and, when requested,
    /// `dnumeric (S, F) = dx[:, E:]` in sequence-major order.
    static func backward(dweight: UnsafeMutablePointer<Float>, dnumeric: UnsafeMutablePointer<Float>?,
                         dx: UnsafePointer<Float>, eventIDs: UnsafePointer<Int32>,
                         plan: PackingPlan, E: Int, F: Int) {
        // dx (N, I), eventIDs (S) -> dweight (V, E) +=, dnumeric (S, F) =
        let I = E + F
        for t in 0..<plan.steps {
            let base = plan.offsets[t]
            for j in 0..<plan.batchSizes[t] {
                let source = plan.sequenceStarts[plan.order[j]] + t
                let row = dx + (base + j) * I
                let target = dweight + Int(eventIDs[source]) * E
                for e in 0..<E { target[e] += row[e] }
                if let dnumeric, F > 0 { (dnumeric + source * F).update(from: row + E, count: F) }
            }
        }
    }
}
