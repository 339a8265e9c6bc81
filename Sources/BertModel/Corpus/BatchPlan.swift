/// How a window of texts is cut into batches: sorted by length, longest first (as
/// sentence-transformers' `encode` sorts), then filled greedily while the batch has at most
/// `batchSize` rows and its padded size (rows × longest row) stays within `maxTokens`. Rows of
/// similar length share a batch, so little of the forward is spent on padding. A row longer than
/// `maxTokens` runs alone.
public struct BatchPlan: Sendable, Equatable {
    /// Window positions, one array per batch, in the order the batches run.
    public let batches: [[Int]]
    /// Real tokens, and positions including padding, over the window.
    public let tokens: Int
    public let paddedTokens: Int

    public init(lengths: [Int], batchSize: Int, maxTokens: Int? = nil) {
        precondition(batchSize >= 1)
        // Stable: equal lengths keep their order, so the plan is deterministic.
        let order = lengths.indices.sorted { (lengths[$0], $1) > (lengths[$1], $0) }
        var batches: [[Int]] = [], current: [Int] = []
        var padded = 0
        for i in order {
            // Longest first: the batch's width is its first row's length.
            let width = current.first.map { lengths[$0] } ?? lengths[i]
            let fits = current.count < batchSize && maxTokens.map { (current.count + 1) * width <= $0 } ?? true
            if !current.isEmpty, !fits {
                padded += current.count * lengths[current[0]]
                batches.append(current)
                current = []
            }
            current.append(i)
        }
        if !current.isEmpty {
            padded += current.count * lengths[current[0]]
            batches.append(current)
        }
        self.batches = batches
        tokens = lengths.reduce(0, +)
        paddedTokens = padded
    }
}
