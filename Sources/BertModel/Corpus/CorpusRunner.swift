import BertFormats
import BertTokenizer
import Foundation

/// Counts over a corpus run, for the summary line and `--json`.
public struct CorpusStats: Sendable, Codable, Equatable {
    public var texts = 0
    /// Real tokens, and positions the forward computed (padding included).
    public var tokens = 0
    public var paddedTokens = 0
    public var batches = 0
    public var truncated = 0
    public var skipped = 0
    public init() {}

    /// The share of computed positions that were padding.
    public var paddingWaste: Double { paddedTokens == 0 ? 0 : Double(paddedTokens - tokens) / Double(paddedTokens) }
}

/// How `CorpusRunner` batches a corpus.
public struct CorpusRunOptions: Sendable {
    public var batchSize = 32
    public var maxTokens: Int?
    /// Texts sorted together; larger windows pad less and hold more in memory.
    public var window = 1024
    /// Count bad rows (and report them) instead of stopping at the first.
    public var skipBadRows = false
    public init(batchSize: Int = 32, maxTokens: Int? = nil, window: Int = 1024, skipBadRows: Bool = false) {
        self.batchSize = batchSize
        self.maxTokens = maxTokens
        self.window = window
        self.skipBadRows = skipBadRows
    }
}

/// Streams a corpus through the model: one thread reads and tokenizes the next window of texts
/// while the caller's thread runs the forward on the current one (pipelining); each window is cut
/// into length-bucketed batches (`BatchPlan`) and its results are handed out in input order.
/// Memory holds at most three windows of token ids and one window of results, whatever the
/// corpus size. (Sendable: the reader thread touches only `reader`, `encoder` and the handoff,
/// under its lock.)
public final class CorpusRunner<Result>: @unchecked Sendable {
    /// A window as the reader thread hands it over.
    private struct Window {
        var rows: [EncodedRow] = []
        var bad: [InputFileError] = []
        var error: Error?
        var last = false
    }

    public let options: CorpusRunOptions
    public private(set) var stats = CorpusStats()
    private let reader: CorpusReader
    private let encoder: RowEncoder
    private let config: BertConfig
    private let forward: (BertInput) throws -> [Result]
    private let handoff = NSCondition()
    private var ready: Window?
    private var stopping = false
    private var started = false

    /// `forward` maps a batch to one result per row, in the batch's row order.
    public init(reader: CorpusReader, encoder: RowEncoder, config: BertConfig, options: CorpusRunOptions,
                forward: @escaping (BertInput) throws -> [Result]) {
        self.reader = reader
        self.encoder = encoder
        self.config = config
        self.options = options
        self.forward = forward
    }

    deinit { stop() }

    /// Runs the corpus. `emit` gets every row's result in input order; `onBad` every skipped row;
    /// `progress` the stats after each batch. `shouldStop` is asked between batches: when it says
    /// yes, the window in progress is dropped and `run` returns false (everything emitted so far is
    /// complete and in order). Returns true at the end of the corpus.
    @discardableResult
    public func run(emit: (EncodedRow, Result) throws -> Void, onBad: (InputFileError) -> Void = { _ in },
                    onTruncated: (EncodedRow) -> Void = { _ in },
                    progress: (CorpusStats) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws -> Bool {
        startReading()
        defer { stop() }
        while true {
            let w = take()
            if let e = w.error { throw e }
            for b in w.bad { stats.skipped += 1; onBad(b) }
            if !w.rows.isEmpty {
                guard let results = try runWindow(w.rows, shouldStop: shouldStop, progress: progress) else { return false }
                for (row, r) in zip(w.rows, results) {
                    if row.truncatedFrom != nil { stats.truncated += 1; onTruncated(row) }
                    try emit(row, r)
                }
                stats.texts += w.rows.count
                progress(stats)
            }
            if w.last { return true }
            if shouldStop() { return false }
        }
    }

    /// The window's results in its row order, or nil when told to stop.
    private func runWindow(_ rows: [EncodedRow], shouldStop: () -> Bool, progress: (CorpusStats) -> Void) throws -> [Result]? {
        let plan = BatchPlan(lengths: rows.map(\.ids.count), batchSize: options.batchSize, maxTokens: options.maxTokens)
        var results = [Result?](repeating: nil, count: rows.count)
        for batch in plan.batches {
            if shouldStop() { return nil }
            var input = try BertInput(rows: batch.map { rows[$0].ids }, tokenTypes: batch.map { rows[$0].types }, config: config)
            input.promptLength = encoder.promptLength
            let out = try forward(input)
            precondition(out.count == batch.count, "forward returned \(out.count) results for \(batch.count) rows")
            for (k, i) in batch.enumerated() { results[i] = out[k] }
            stats.batches += 1
            stats.tokens += input.lengths.reduce(0, +)
            stats.paddedTokens += input.batch * input.seq
            progress(stats)
        }
        return results.map { $0! }
    }

    // MARK: The reader thread

    private func startReading() {
        guard !started else { return }
        started = true
        let t = Thread { [self] in readLoop() }
        t.name = "bertkit-corpus-reader"
        t.start()
    }

    private func readLoop() {
        var index = 0
        while true {
            var w = Window()
            var inputs: [TextInput] = [], lines: [Int] = []
            do {
                while inputs.count < options.window {
                    let row: CorpusRow?
                    do {
                        row = try reader.next()
                    } catch let e as InputFileError where options.skipBadRows {
                        w.bad.append(e)
                        continue
                    }
                    guard let row else { w.last = true; break }
                    inputs.append(row.input)
                    lines.append(row.line)
                }
                w.rows = try encode(inputs, lines: lines, from: index, bad: &w.bad)
                index += w.rows.count
            } catch {
                w.error = error
                w.last = true
            }
            guard give(w), !w.last else { return }
        }
    }

    /// Encodes a window; a text refused as too long is a bad row of its line.
    private func encode(_ inputs: [TextInput], lines: [Int], from index: Int, bad: inout [InputFileError]) throws -> [EncodedRow] {
        var inputs = inputs, lines = lines
        while true {
            do {
                let encoded = try encoder.encode(inputs)
                return encoded.enumerated().map { i, e in
                    EncodedRow(index: index + i, line: lines[i], ids: e.ids, types: e.types, truncatedFrom: e.truncatedFrom)
                }
            } catch ModelError.textTooLong(let row, let tokens, let limit) {
                let e = InputFileError(file: reader.path, line: lines[row],
                                       problem: "\(tokens) tokens, over the model's limit of \(limit) (--no-truncate refuses it)")
                guard options.skipBadRows else { throw e }
                bad.append(e)
                inputs.remove(at: row)
                lines.remove(at: row)
            }
        }
    }

    /// Waits until the previous window was taken; false when the run stopped.
    private func give(_ w: Window) -> Bool {
        handoff.lock()
        defer { handoff.unlock() }
        while ready != nil && !stopping { handoff.wait() }
        guard !stopping else { return false }
        ready = w
        handoff.broadcast()
        return true
    }

    private func take() -> Window {
        handoff.lock()
        defer { handoff.unlock() }
        while ready == nil { handoff.wait() }
        let w = ready!
        ready = nil
        handoff.broadcast()
        return w
    }

    /// Ends the reader thread (it finishes the window it is encoding).
    public func stop() {
        handoff.lock()
        stopping = true
        handoff.broadcast()
        handoff.unlock()
    }
}
