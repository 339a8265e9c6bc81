import ArgumentParser
import BertModel
import BertTokenizer
import Foundation

/// Texts from a file instead of the command line: --file, --jsonl or --csv (each "-" for stdin).
struct CorpusSource: ParsableArguments {
    @Option(help: ArgumentHelp("Read the texts from this file, one per line (- for stdin).", valueName: "path"))
    var file: String?
    @Option(help: ArgumentHelp("Read one JSON object per line: {\"text\": ..., \"pair\": ...} (\"pair\" or \"text_pair\" optional; - for stdin).",
                               valueName: "path"))
    var jsonl: String?
    @Option(help: ArgumentHelp("Read a CSV file whose first line names the columns (- for stdin).", valueName: "path"))
    var csv: String?
    @Option(help: ArgumentHelp("--jsonl: the key of the text (default text).", valueName: "key")) var textField: String?
    @Option(help: ArgumentHelp("--jsonl: the key of the second segment (default pair, else text_pair).", valueName: "key")) var pairField: String?
    @Option(help: ArgumentHelp("--csv: the column of the text (default text).", valueName: "name")) var textColumn: String?
    @Option(help: ArgumentHelp("--csv: the column of the second segment (default none).", valueName: "name")) var pairColumn: String?

    var path: String? { file ?? jsonl ?? csv }
    var given: Bool { path != nil }

    func validate() throws {
        guard [file, jsonl, csv].compactMap({ $0 }).count <= 1 else { throw ValidationError("give one of --file, --jsonl and --csv") }
        if (textField != nil || pairField != nil) && jsonl == nil { throw ValidationError("--text-field and --pair-field go with --jsonl") }
        if (textColumn != nil || pairColumn != nil) && csv == nil { throw ValidationError("--text-column and --pair-column go with --csv") }
    }

    var format: CorpusFormat {
        if jsonl != nil { return .jsonl(textField: textField ?? "text", pairField: pairField) }
        if csv != nil { return .csv(textColumn: textColumn ?? "text", pairColumn: pairColumn) }
        return .lines
    }

    func reader() throws -> CorpusReader { try CorpusReader(path: path!, format: format) }

    /// Every row, for commands whose output holds all of them anyway (dump); stops at the first bad row.
    func readAll() throws -> [TextInput] {
        let r = try reader()
        var out: [TextInput] = []
        while let row = try r.next() { out.append(row.input) }
        return out
    }

    /// Checks a regular file's every row before anything is computed (so a bad row stops the run
    /// before any output) and counts the good ones, for the progress bar's ETA. Stdin is read once,
    /// so it is checked as it streams. Returns nil for stdin.
    func precheck(skipBadRows: Bool) throws -> Int? {
        guard let p = path, p != "-" else { return nil }
        var st = stat()
        guard stat(p, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        let r = try reader()
        var good = 0
        while true {
            do {
                guard try r.next() != nil else { return good }
                good += 1
            } catch is InputFileError where skipBadRows {
                continue
            }
        }
    }
}

/// How a corpus is batched, and what happens to bad rows and interrupted runs.
struct CorpusOptions: ParsableArguments {
    @Option(help: "File inputs: texts per batch, at most (default 32).") var batchSize = 32
    @Option(help: ArgumentHelp("File inputs: a batch's tokens at most, padding included (rows × its longest row); a longer text runs alone.",
                               valueName: "n"))
    var maxTokens: Int?
    @Option(help: ArgumentHelp("File inputs: texts read ahead and sorted by length together (default 1024); their results come out in input order.",
                               valueName: "n"))
    var sortWindow = 1024
    @Flag(help: "File inputs: skip bad rows (empty, invalid UTF-8, not a JSON object, a missing field, too long with --no-truncate), counting and reporting them, instead of stopping at the first.")
    var skipBadRows = false
    @Flag(help: "On Ctrl-C, keep the rows done in OUT.partial-N.EXT (N = rows) instead of removing the partial output.")
    var keepPartial = false

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        if let t = maxTokens, t < 1 { throw ValidationError("--max-tokens must be at least 1") }
        guard sortWindow >= 1 else { throw ValidationError("--sort-window must be at least 1") }
    }

    var runner: CorpusRunOptions {
        .init(batchSize: batchSize, maxTokens: maxTokens, window: sortWindow, skipBadRows: skipBadRows)
    }
}
