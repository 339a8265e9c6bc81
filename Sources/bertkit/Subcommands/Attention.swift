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
            """)

    @Argument(help: "A model folder, weights file or .bkm.") var model: String
    @Argument(help: "The text.") var text: String
    @Option(help: "Layer (0-based; default the last).") var layer: Int?
    @Option(help: "Head (0-based).") var head: Int?
    @Flag(help: "Average the heads (default when no --head).") var meanHeads = false
    @Flag(help: "Draw every layer × head.") var grid = false
    @Option(name: .shortAndLong, help: "The SVG file to write.") var output: String

    func validate() throws {
        guard !(head != nil && meanHeads) else { throw ValidationError("give --head or --mean-heads, not both") }
    }

    func run() throws {
        try runReportingErrors {
            let m = try BertModel(checkpoint: CheckpointLoader.load(path: model))
            let c = m.config
            if let l = layer, !(0..<c.numHiddenLayers).contains(l) {
                throw ValidationError("--layer \(l): the model has layers 0...\(c.numHiddenLayers - 1)")
            }
            if let h = head, !(0..<c.numAttentionHeads).contains(h) {
                throw ValidationError("--head \(h): the model has heads 0...\(c.numAttentionHeads - 1)")
            }
            let maps = try AttentionMaps(model: m, text: TextInput(text))
            let svg = grid ? maps.grid(title: "attention: \(text)").svg(cell: 8)
                           : maps.map(layer: layer ?? c.numHiddenLayers - 1, head: head).svg()
            try AtomicFileWriter.write(Data(svg.utf8), to: output)
            Console.log("wrote \(output) (\(maps.tokens.count) tokens)")
        }
    }
}
