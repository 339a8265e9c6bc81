import ArgumentParser
import BertFormats
import BertModel
import Foundation

/// `finetune --task sequence-classification`: a labelled CSV, by --problem-type.
extension Finetune {
    func runSequenceClassification(_ source: Checkpoint) throws {
        let problem = try ProblemType(option: problemType) ?? source.config.problemType ?? .singleLabel
        let names = try labelNames(source, problem: problem)
        if problem == .singleLabel && names.count < 2 {
            throw ValidationError("single-label classification needs at least 2 labels, found \(names.count) (\(names.joined(separator: ", ")))\n---> HINT: one number per row is --problem-type regression")
        }
        var (checkpoint, created) = try source.forHead(.sequenceClassification, labels: names, resetHead: resetHead, seed: seed)
        // As transformers' forward sets it from the labels, and save_pretrained writes it.
        checkpoint.config.problemType = problem
        let data = try LabelledDataset(contentsOf: train, labels: names, problem: problem, skipBadRows: skipBadRows)
        for s in data.skipped { Console.log("skipped \(train) \(s)") }
        guard !data.examples.isEmpty else { throw FineTuningError.noExamples(path: train) }
        var evalData: LabelledDataset?
        if let e = eval {
            evalData = try LabelledDataset(contentsOf: e, labels: names, problem: problem, skipBadRows: skipBadRows)
            for s in evalData!.skipped { Console.log("skipped \(e) \(s)") }
        }
        try train(Plan(checkpoint: checkpoint, created: created, problem: problem,
                       source: { try LabelledBatchSource(dataset: data, model: $0, problem: problem, maxLength: maxLength) },
                       evaluate: evalData.map { e in { m, step in try evaluate(m, on: e, step: step) } }))
    }

    /// The --eval scores by problem type; the headline figure is accuracy, micro F1 or MSE.
    func evaluate(_ m: BertModel, on e: LabelledDataset, step: Int) throws -> EvalPoint {
        let f = { (x: Double?) in x.map { String(format: "%.4f", $0) } ?? "n/a" }
        let scores: String, name: String, value: Double
        switch e.problem {
        case .singleLabel:
            value = try ClassifierEvaluation.run(model: m, dataset: e, batchSize: 32, maxLength: maxLength).metrics.accuracy
            (name, scores) = ("accuracy", "accuracy = " + f(value))
        case .multiLabel:
            let r = MultiLabelMetrics(labels: m.config.id2label, truth: e.examples.flatMap(\.values),
                                      logits: try m.classifierLogits(e, maxLength: maxLength), threshold: 0.5)
            (name, value, scores) = ("micro F1", r.microF1, "micro F1 = \(f(r.microF1)), subset accuracy = \(f(r.subsetAccuracy))")
        case .regression:
            let r = RegressionMetrics(labels: m.config.id2label, truth: e.examples.flatMap(\.values),
                                      predicted: try m.classifierLogits(e, maxLength: maxLength))
            (name, value, scores) = ("MSE", r.mse, "MSE = \(f(r.mse)), MAE = \(f(r.mae)), Pearson r = \(f(r.pearson))")
        }
        return EvalPoint(step: step, name: name, value: value, summary: "\(scores) on \(e.examples.count) rows of \(eval!)")
    }

    func labelNames(_ c: Checkpoint, problem: ProblemType) throws -> [String] {
        try FineTuningLabels.resolve(explicit: labelList, count: numLabels, model: c, problem: problem, train: train)
    }

    /// --labels split at commas.
    var labelList: [String]? { labels.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } }
}
