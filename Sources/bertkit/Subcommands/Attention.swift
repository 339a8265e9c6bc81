import ArgumentParser
import BertFormats
import BertModel
import BertTensors
import BertTokenizer
import BertVerify
import Foundation

struct Attention: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a text's attention probabilities as a labelled heat map (SVG).",
        discussion: """
            Runs MODEL on TEXT and draws the attention probabilities of one layer: queries down, keys \
            across, each axis labelled with the tokens, darker for more weight (the alignment figure of \
            the attention lesson). One head with --head, the mean over heads with --mean-heads (the \
            default), or every layer × head with --grid. Each cell carries its value (data-value and a \
            tooltip).

            EXAMPLES
              bertkit attention .cache/models/all-MiniLM-L6-v2 'PyTorch is a great framework for NLP' --layer 2 --head 5 -o attn.svg
              bertkit attention .cache/models/all-MiniLM-L6-v2 'PyTorch is a great framework for NLP' --grid -o attn-grid.svg
              bertkit attention .cache/models/all-MiniLM-L6-v2 --file sentences.txt -o attn.svg   # attn-1.svg, attn-2.svg, …

            With --file, --jsonl or --csv (pairs too), each text gets its own picture, named by its line: \
            -o attn.svg writes attn-LINE.svg for every row; the texts are read and checked first (a bad row \
            stops before any picture, naming file:line).
            """)

    @Argument(help: "A model folder, weights file or .bkm.") var model: String
    @Argument(help: "The text.") var text: String?
    @Option(help: "Layer (0-based; default the last).") var layer: Int?
    @Option(help: "Head (0-based).") var head: Int?
    @Flag(help: "Average the heads (default when no --head).") var meanHeads = false
    @Flag(help: "Draw every layer × head.") var grid = false
    @Option(name: .shortAndLong, help: "The SVG file to write.") var output: String
    @OptionGroup(title: "Texts from a file") var source: CorpusSource

    func validate() throws {
        guard (text != nil) != source.given else { throw ValidationError("give TEXT or --file/--jsonl/--csv") }
        guard !(head != nil && meanHeads) else { throw ValidationError("give --head or --mean-heads, not both") }
    }

    func run() throws {
        try runReportingErrors {
            let m = try BertModel(checkpoint: CheckpointLoader.load(path: model))
            let c = m.config
            if let l = layer, !(0..<c.appliedLayers).contains(l) {
                throw ValidationError("--layer \(l): the model has layers 0...\(c.appliedLayers - 1)")
            }
            if let h = head, !(0..<c.numAttentionHeads).contains(h) {
                throw ValidationError("--head \(h): the model has heads 0...\(c.numAttentionHeads - 1)")
            }
            guard source.given else { return try draw(m, TextInput(text!), to: output) }
            let reader = try source.reader()
            var rows: [CorpusRow] = []
            while let r = try reader.next() { rows.append(r) }
            let url = URL(fileURLWithPath: output)
            let base = url.deletingPathExtension().path, ext = url.pathExtension.isEmpty ? "svg" : url.pathExtension
            for r in rows { try draw(m, r.input, to: "\(base)-\(r.line).\(ext)") }
        }
    }

    private func draw(_ m: BertModel, _ input: TextInput, to path: String) throws {
        let maps = try AttentionMaps(model: m, text: input)
        let title = input.text + (input.pair.map { " ||| " + $0 } ?? "")
        let svg = grid ? maps.grid(title: "attention: \(title)").svg(cell: 8)
                       : maps.map(layer: layer ?? m.config.appliedLayers - 1, head: head).svg()
        try AtomicFileWriter.write(Data(svg.utf8), to: path)
        Console.log("wrote \(path) (\(maps.tokens.count) tokens)")
    }
}
