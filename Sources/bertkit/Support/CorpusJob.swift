import ArgumentParser
import BertFormats
import BertModel
import BertTensors
import BertTokenizer
import Foundation

/// Where a corpus run's rows go: JSON lines on stdout, or a file that appears only when complete.
enum CorpusOutput {
    case stdout
    case file(RowWriter)
}

/// Runs a corpus (`CorpusSource`) through `forward` with `CorpusOptions`' batching and hands each
/// row's result to `write` in input order; shows progress on a terminal and prints the summary
/// line (or with `json`, the summary as JSON: on stdout when the rows go to a file).
struct CorpusJob<Result> {
    let verb: String
    let source: CorpusSource
    let options: CorpusOptions
    let model: BertModel
    let encoder: RowEncoder
    let output: CorpusOutput
    let json: Bool
    let forward: (BertInput) throws -> [Result]
    /// Appends a row's result to the output (for stdout, returns the line to print).
    let write: (EncodedRow, Result) throws -> String?

    func run() throws {
        let total = try source.precheck(skipBadRows: options.skipBadRows)
        let runner = CorpusRunner(reader: try source.reader(), encoder: encoder, config: model.config,
                                  options: options.runner, forward: forward)
        let stop = StopRequest()
        if options.keepPartial, case .file = output {
            Interrupts.onInterrupt {
                // The first Ctrl-C stops after the batch in progress; a second one stops now.
                if stop.request() { return }
                PendingWrites.shared.removeAll()
                FileHandle.standardError.write(Data("\ninterrupted again; partial output removed\n".utf8))
                fflush(nil)
                _exit(130)
            }
        }
        var stdout = BufferedStdout()
        var bar = CorpusProgress(total: total)
        var warned = 0
        func warn(_ s: String) {
            warned += 1
            if warned <= 20 { bar.clear(); Console.log(s) } else if warned == 21 { bar.clear(); Console.log("(further warnings not shown; the summary counts them)") }
        }
        let started = Date()
        let complete = try runner.run(
            emit: { row, r in
                if let line = try write(row, r) { stdout.append(line) }
            },
            onBad: { e in warn("skipped \(e.localizedDescription)") },
            onTruncated: { row in
                warn("warning: \(source.path!):\(row.line) has \(row.truncatedFrom!) tokens; truncated to \(encoder.limit) (--no-truncate refuses it)")
            },
            progress: { bar.show($0) },
            shouldStop: { stop.requested })
        stdout.flush()
        bar.clear()
        let seconds = Date().timeIntervalSince(started)
        let stats = runner.stats
        var kept: String?
        if case .file(let w) = output {
            if complete { try w.commit() } else { kept = try w.commitPartial() }
        }
        let summary = CorpusSummary(stats: stats, seconds: seconds, output: kept ?? destination, complete: complete)
        if json {
            let text = String(decoding: try Console.jsonData(summary, pretty: false), as: UTF8.self)
            if case .file = output { Console.out(text) } else { Console.log(text) }
        } else {
            Console.log(summary.line(verb: verb))
        }
        if let kept {
            Console.log("interrupted: kept the first \(stats.texts) rows in \(kept)")
            throw Exit.interrupted
        }
    }

    private var destination: String? {
        if case .file(let w) = output { return w.destination }
        return nil
    }
}

/// Set from the signal handler, read between batches.
final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    /// Sets the flag; false when it was already set.
    func request() -> Bool { lock.withLock { defer { flag = true }; return !flag } }
    var requested: Bool { lock.withLock { flag } }
}

/// The summary of a corpus run (`--json`).
struct CorpusSummary: Encodable {
    let stats: CorpusStats
    let seconds: Double
    let output: String?
    let complete: Bool

    enum CodingKeys: String, CodingKey {
        case texts, tokens, paddedTokens = "padded_tokens", paddingWaste = "padding_waste", batches, truncated,
             skipped = "skipped_bad_rows", seconds, textsPerSecond = "texts_per_second",
             tokensPerSecond = "tokens_per_second", peakRSS = "peak_rss_bytes", output, complete
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(stats.texts, forKey: .texts)
        try c.encode(stats.tokens, forKey: .tokens)
        try c.encode(stats.paddedTokens, forKey: .paddedTokens)
        try c.encode(stats.paddingWaste, forKey: .paddingWaste)
        try c.encode(stats.batches, forKey: .batches)
        try c.encode(stats.truncated, forKey: .truncated)
        try c.encode(stats.skipped, forKey: .skipped)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(Double(stats.texts) / max(seconds, 1e-9), forKey: .textsPerSecond)
        try c.encode(Double(stats.tokens) / max(seconds, 1e-9), forKey: .tokensPerSecond)
        try c.encode(PeakMemory.residentBytes, forKey: .peakRSS)
        try c.encodeIfPresent(output, forKey: .output)
        try c.encode(complete, forKey: .complete)
    }

    func line(verb: String) -> String {
        let s = stats
        let rate = { (n: Int) in Double(n) / max(seconds, 1e-9) }
        // The chunked tasks go through their pipelines, which do not report tokens.
        let tokens = s.paddedTokens > 0
        return "\(verb) \(s.texts) text\(s.texts == 1 ? "" : "s")" + (tokens ? " (\(s.tokens) tokens)" : "")
            + " in \(String(format: "%.1f", seconds)) s: \(String(format: "%.1f", rate(s.texts))) texts/s"
            + (tokens ? ", \(String(format: "%.0f", rate(s.tokens))) tokens/s; padding \(String(format: "%.1f", 100 * s.paddingWaste))% "
                        + "of \(s.paddedTokens) positions" : "")
            + " in \(s.batches) batches; \(s.truncated) truncated, \(s.skipped) bad rows skipped; "
            + "peak RSS \(PeakMemory.residentBytes / (1 << 20)) MiB" + (output.map { "; wrote \($0)" } ?? "")
    }
}

/// The process's peak resident memory (VmHWM in /proc/self/status), in bytes; 0 where unknown.
enum PeakMemory {
    static var residentBytes: Int {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
        return kb * 1024
    }
}

/// stdout in 1 MiB writes rather than one per line.
struct BufferedStdout {
    private var buffer: [UInt8] = []
    mutating func append(_ line: String) {
        buffer += line.utf8
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { flush() }
    }
    mutating func flush() {
        guard !buffer.isEmpty else { return }
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}

/// The progress line on stderr when it is a terminal: texts, texts/s, tokens/s and, when the total
/// is known, the ETA; at most ten updates a second.
struct CorpusProgress {
    let total: Int?
    let enabled = Console.stderrIsTerminal
    private let started = Date()
    private var shown = Date.distantPast

    init(total: Int?) { self.total = total }

    mutating func show(_ s: CorpusStats) {
        guard enabled, Date().timeIntervalSince(shown) >= 0.1 else { return }
        shown = Date()
        let secs = max(Date().timeIntervalSince(started), 1e-9)
        let rate = Double(s.texts) / secs
        var text = "\(s.texts)" + (total.map { "/\($0)" } ?? "") + " texts  \(String(format: "%.1f", rate)) texts/s  "
            + "\(String(format: "%.0f", Double(s.tokens) / secs)) tokens/s"
        if let t = total, s.texts > 0 { text += "  ETA \(Int((Double(t - s.texts) / rate).rounded()))s" }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    }

    func clear() { if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
}

extension Float {
    /// The shortest decimal that reads back as this float (JSON has no NaN or infinity: those are null).
    var json: JSONValue { isFinite ? .number("\(self)") : .null }
}
