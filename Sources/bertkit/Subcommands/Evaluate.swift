import ArgumentParser
import BertFormats
import BertModel
import Foundation

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a sequence classifier on a labelled CSV: accuracy, per-class precision/recall/F1, confusion matrix.",
        discussion: """
            The CSV layouts are those of `bertkit finetune` (AG News style, or a `text,label` header). Labels \
            are matched to the model's id2label (names, or 1-based numbers in the AG News layout).

            EXAMPLES
              bertkit evaluate agnews.bkm --data golden/data/agnews-mini/test.csv
              bertkit evaluate agnews-folder --data golden/data/text-label.csv --json
            """)

    @Argument(help: "A fine-tuned classifier: folder, weights file or .bkm.") var model: String
    @Option(help: "The labelled CSV.") var data: String
    @Option(help: "Tokens per text at most.") var maxLength = 128
    @Option(help: "Rows per batch.") var batchSize = 32
    @Flag(help: "Skip malformed rows, unknown labels and empty texts instead of stopping.") var skipBadRows = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try runReportingErrors {
            let m = try BertModel(checkpoint: CheckpointLoader.load(path: model))
            guard m.hasClassifier else { throw ModelError.noClassifier }
            let d = try LabelledDataset(contentsOf: data, labels: m.config.id2label, skipBadRows: skipBadRows)
            for s in d.skipped { Console.log("skipped \(data) \(s)") }
            let r = try ClassifierEvaluation.run(model: m, dataset: d, batchSize: batchSize, maxLength: maxLength)
            let mt = r.metrics
            if json {
                try Console.outJSON(mt)
                return
            }
            var lines = ["accuracy \(String(format: "%.4f", mt.accuracy)) (\(mt.count) rows), macro F1 \(String(format: "%.4f", mt.macroF1)), loss \(String(format: "%.4f", r.loss))",
                         "", "label                precision  recall     f1  support"]
            for p in mt.perClass {
                lines.append(p.label.padding(toLength: 20, withPad: " ", startingAt: 0)
                             + String(format: " %9.4f %7.4f %6.4f %8d", p.precision, p.recall, p.f1, p.support))
            }
            lines += ["", "confusion (rows: true label, columns: predicted)"]
            for (k, row) in mt.confusion.enumerated() {
                lines.append(mt.labels[k].padding(toLength: 20, withPad: " ", startingAt: 0) + row.map { String(format: "%6d", $0) }.joined())
            }
            Console.out(lines.joined(separator: "\n"))
        }
    }
}
