import BertFormats

/// The parameter table of a model with or without a pooler and a sequence classifier, by canonical
/// name, as test fixtures build them.
public func parameterTable(_ c: BertConfig, pooler: Bool, classifier: Bool) -> [(name: String, shape: [Int])] {
    let arch = Architecture(head: classifier ? .sequenceClassification : .none, pooler: pooler || classifier)
    return arch.parameters(c).map { (name: $0.name.name, shape: $0.shape) }
}
