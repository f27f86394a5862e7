import Foundation

/// Exact ROC AUC by the rank-sum formula (Mann–Whitney, ties count one half; labels 0/1), an
/// independent check of the library's metric; NaN when a class is missing.
public func exactROCAUC(scores: [Float], labels: [Float]) -> Double {
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    var ranks = [Double](repeating: 0, count: scores.count)
    var i = 0
    while i < order.count {
        var j = i
        while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
        for k in i...j { ranks[order[k]] = Double(i + j) / 2 + 1 }
        i = j + 1
    }
    let positives = labels.filter { $0 == 1 }.count, negatives = labels.count - positives
    guard positives > 0, negatives > 0 else { return .nan }
    let rankSum = zip(ranks, labels).filter { $0.1 == 1 }.map(\.0).reduce(0, +)
    return (rankSum - Double(positives * (positives + 1)) / 2) / Double(positives * negatives)
}
