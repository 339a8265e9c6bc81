import BertFormats

/// The label names a sequence-classification fine-tuning trains: the ones given, else as many as
/// asked for (the model's own when the count matches), else the model's own classifier labels, else
/// those the training CSV uses (numbers 1…n become LABEL_0…LABEL_{n-1}; regression gets one
/// LABEL_k per target in the first row).
public enum FineTuningLabels {
    public static func resolve(explicit: [String]?, count: Int?, model c: Checkpoint, problem: ProblemType,
                               train: String) throws -> [String] {
        if let l = explicit { return l }
        let own = c.head == .sequenceClassification ? c.config.id2label : nil
        if let n = count {
            if let own, own.count == n { return own }
            return (0..<n).map { "LABEL_\($0)" }
        }
        if let own { return own }
        if problem == .regression { return (0..<(try LabelledDataset.regressionTargetCount(in: train))).map { "LABEL_\($0)" } }
        let found = try LabelledDataset.labelNames(in: train, problem: problem)
        let numbers = found.compactMap(Int.init)
        if numbers.count == found.count, let top = numbers.max(), top >= 1 { return (0..<top).map { "LABEL_\($0)" } }
        return found
    }
}
