import Foundation

/// One labelled text for classification.
public struct LabelledExample: Sendable, Equatable {
    public var text: String
    public var label: Int
    /// Where it came from, for messages.
    public var line: Int
    public init(text: String, label: Int, line: Int) { self.text = text; self.label = label; self.line = line }
}

/// Labelled texts read from a CSV in one of two layouts:
/// - AG News (no header): the first column is the class, 1-based (`"3"` is the third label) or a
///   label name; the text is the remaining columns joined by one space, as torchtext's AG_NEWS does;
/// - a header naming `text` and `label` columns (any order; other columns ignored).
public struct LabelledDataset: Sendable {
    public enum Layout: String, Sendable { case agNews = "AG News", textLabel = "text,label" }

    public var examples: [LabelledExample]
    public var layout: Layout
    /// Bad rows skipped with `skipBadRows`, as "line N: reason".
    public var skipped: [String]

    /// `labels` are the model's label names; numbers in the file are 1-based indices into them
    /// in the AG News layout. With `skipBadRows`, malformed rows, unknown labels and empty texts
    /// are counted and skipped instead of stopping the read.
    public init(contentsOf path: String, labels: [String], skipBadRows: Bool = false) throws {
        let reader = try CSVReader(contentsOf: path)
        var it = reader.makeIterator()
        var examples: [LabelledExample] = [], skipped: [String] = []
        var layout: Layout?
        var textColumn = 0, labelColumn = 0
        let byName = Dictionary(labels.enumerated().map { ($1.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        while true {
            let record: CSVReader.Record
            do {
                guard let r = try it.nextRecord() else { break }
                record = r
            } catch let e as CSVError {
                guard skipBadRows else { throw e }
                skipped.append("line \(e.line): \(e.problem)")
                // A broken quote swallows the rest of the file; nothing after it can be trusted.
                break
            }
            if layout == nil {
                let lower = record.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                if let t = lower.firstIndex(of: "text"), let l = lower.firstIndex(of: "label") {
                    layout = .textLabel
                    textColumn = t
                    labelColumn = l
                    continue
                }
                layout = .agNews
            }
            do {
                examples.append(try Self.example(record, layout: layout!, textColumn: textColumn, labelColumn: labelColumn,
                                                 labels: labels, byName: byName, file: path))
            } catch let e as CSVError {
                guard skipBadRows else { throw e }
                skipped.append("line \(e.line): \(e.problem)")
            }
        }
        guard !examples.isEmpty else { throw CSVError(file: path, line: 0, problem: "no labelled rows") }
        self.examples = examples
        self.layout = layout ?? .agNews
        self.skipped = skipped
    }

    private static func example(_ r: CSVReader.Record, layout: Layout, textColumn: Int, labelColumn: Int,
                                labels: [String], byName: [String: Int], file: String) throws -> LabelledExample {
        func fail(_ p: String) -> CSVError { CSVError(file: file, line: r.line, problem: p) }
        let rawLabel: String, text: String
        switch layout {
        case .agNews:
            guard r.fields.count >= 2 else { throw fail("expected a class and a text, found \(r.fields.count) column") }
            rawLabel = r.fields[0]
            text = r.fields.dropFirst().joined(separator: " ")
        case .textLabel:
            guard r.fields.count > max(textColumn, labelColumn) else {
                throw fail("expected \(max(textColumn, labelColumn) + 1) columns, found \(r.fields.count)")
            }
            rawLabel = r.fields[labelColumn]
            text = r.fields[textColumn]
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw fail("the text is empty") }
        let l = rawLabel.trimmingCharacters(in: .whitespaces)
        let index: Int
        if let n = Int(l) {
            // AG News classes are 1-based; a text,label file may use 0-based ids.
            index = layout == .agNews ? n - 1 : n
            guard labels.indices.contains(index) else {
                let range = layout == .agNews ? "1...\(labels.count)" : "0...\(labels.count - 1)"
                throw fail("unknown label \(n): the model has \(labels.count) labels (\(range))")
            }
        } else if let i = byName[l.lowercased()] {
            index = i
        } else {
            throw fail("unknown label \"\(l)\"; known: \(labels.joined(separator: ", "))")
        }
        return LabelledExample(text: text, label: index, line: r.line)
    }

    /// Label names found in a file's label column, in order of first appearance, for building a
    /// new classifier when the user gives none. Numbers stay numbers.
    public static func labelNames(in path: String) throws -> [String] {
        var seen: [String] = []
        var header: (Int, Int)?
        for (k, r) in try CSVReader(contentsOf: path).records().enumerated() {
            let lower = r.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            if k == 0, let t = lower.firstIndex(of: "text"), let l = lower.firstIndex(of: "label") { header = (t, l); continue }
            let col = header?.1 ?? 0
            guard col < r.fields.count else { continue }
            let l = r.fields[col].trimmingCharacters(in: .whitespaces)
            if !seen.contains(l) { seen.append(l) }
        }
        if seen.allSatisfy({ Int($0) != nil }) { return seen.sorted { Int($0)! < Int($1)! } }
        return seen
    }
}
