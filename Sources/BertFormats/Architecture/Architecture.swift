import Foundation

/// What a checkpoint is: the encoder (`model_type`), the head (`architectures`, else inferred from
/// the tensors), whether the encoder has its pooler, whether the MLM decoder is tied to the word
/// embeddings, and the parameters the file carries that the head does not read (a pre-trained
/// checkpoint's NSP head and pooler under `BertForMaskedLM`), kept so that no conversion drops them.
public struct Architecture: Sendable, Equatable {
    public static var supportedModelTypes: [String] { EncoderFamily.supportedModelTypes }

    public var modelType: String
    public var head: HeadKind
    /// The encoder computes `pooler` (the head reads it, or a `BertModel` that has one).
    public var pooler: Bool
    /// `cls.predictions.decoder` is the word-embedding matrix and its bias `cls.predictions.bias`.
    public var tiedDecoder: Bool
    /// Known parameters stored but not read by this head, in forward order.
    public var carried: [BertParameter]

    public init(modelType: String = "bert", head: HeadKind, pooler: Bool, tiedDecoder: Bool = true, carried: [BertParameter] = []) {
        self.modelType = modelType
        self.head = head
        self.pooler = pooler
        self.tiedDecoder = tiedDecoder
        self.carried = carried
    }

    /// The encoder family (`model_type`).
    public var family: EncoderFamily {
        guard let f = EncoderFamily.named(modelType) else { preconditionFailure("model_type \(modelType) has no family") }
        return f
    }

    /// transformers' class name (`RobertaForMaskedLM`).
    public var className: String { family.className(head) }

    /// The parameters stored as another (`_tied_weights_keys`): the MLM decoder, when the head or a
    /// carried MLM head has one and the config ties it.
    public var ties: [(tensor: BertParameter, to: BertParameter)] {
        guard tiedDecoder, head.hasMaskedLM || carried.contains(.head(.mlmBias)) else { return [] }
        // ELECTRA's generator and DistilBERT's vocab_projector have one bias, no decoder bias to tie.
        if family.maskedLM.sharedBias { return [(.head(.mlmDecoderWeight), .embeddings(.word))] }
        return [(.head(.mlmDecoderWeight), .embeddings(.word)), (.head(.mlmDecoderBias), .head(.mlmBias))]
    }

    /// Every parameter the checkpoint holds, with its shape, in forward order: the encoder (with the
    /// pooler when computed or carried), the head, then what is carried.
    public func parameters(_ c: BertConfig) -> [(name: BertParameter, shape: [Int])] {
        let carriedSet = Set(carried)
        var all = BertParameter.encoder(c, pooler: pooler || carriedSet.contains(.pooler(.weight))) + head.parameters(c, tied: tiedDecoder)
        if !carriedSet.isEmpty {
            let have = Set(all.map(\.0))
            let shapes = Dictionary(HeadKind.preTraining.parameters(c, tied: tiedDecoder), uniquingKeysWith: { a, _ in a })
            all += carried.filter { !have.contains($0) }.compactMap { p in shapes[p].map { (p, $0) } }
        }
        return all.sorted { $0.0 < $1.0 }.map { (name: $0.0, shape: $0.1) }
    }

    /// Picks the architecture for `config` and the parameters a file holds (`present`, with shapes).
    /// (`model_type` is checked when the config is read.) `architectures` names the head; without it the head is inferred from the tensors, refusing
    /// where that is ambiguous. Tensors of a second head that the architecture does not explain are
    /// refused, except the pre-training heads and pooler, which pre-trained checkpoints carry.
    public static func resolve(config c: BertConfig, present: Set<BertParameter>, file: String) throws -> Architecture {
        let heads = present.compactMap { p -> BertParameter.Head? in if case .head(let h) = p { return h } else { return nil } }
        let has = (mlm: heads.contains { HeadKind.owner(of: $0) == .maskedLM },
                   nsp: heads.contains { HeadKind.owner(of: $0) == .nextSentence },
                   qa: heads.contains { HeadKind.owner(of: $0) == .questionAnswering },
                   classifier: heads.contains { $0 == .classifierWeight || $0 == .classifierBias || $0 == .classifierDenseWeight || $0 == .classifierDenseBias },
                   pooler: present.contains(.pooler(.weight)) || present.contains(.pooler(.bias)),
                   dense: present.contains(.head(.classifierDenseWeight)) || present.contains(.head(.classifierDenseBias)))
        func example(_ owner: HeadKind?, classifier: Bool = false) -> String {
            heads.filter { classifier ? HeadKind.owner(of: $0) == nil : HeadKind.owner(of: $0) == owner }
                .map { c.family.huggingFaceName($0, head: owner ?? .sequenceClassification) }.sorted().first ?? ""
        }

        let family = c.family
        let head: HeadKind
        let named = c.architectures.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        if let first = named.first {
            guard named.count == 1 else { throw ArchitectureError.severalArchitectures(file: file, names: named) }
            if let why = family.refusedClasses[first] {
                throw ArchitectureError.refusedArchitecture(file: file, found: first, reason: why, family: family.displayName,
                                                            supported: family.classNames)
            }
            guard let k = family.head(forClass: first) else {
                let other = EncoderFamily.all.first { $0.head(forClass: first) != nil }
                throw ArchitectureError.unsupportedArchitecture(file: file, found: first, family: family.displayName,
                                                               modelType: family.modelType, otherFamily: other?.displayName,
                                                               supported: family.classNames)
            }
            head = k
        } else {
            var claims: [(HeadKind, String)] = []
            if has.qa { claims.append((.questionAnswering, example(.questionAnswering))) }
            if has.classifier {
                // A dense before the projection is the sequence classifier's (RoBERTa's `classifier.dense`).
                let dense = present.contains(.head(.classifierDenseWeight)) || present.contains(.head(.classifierDenseBias))
                let seq = family.layout(.sequenceClassification).classifier
                if dense, seq?.dense != nil {
                    claims.append((.sequenceClassification, example(nil, classifier: true)))
                } else {
                    guard has.pooler, seq?.input == .pooled else {
                        let token = family.className(.tokenClassification), sequence = family.className(.sequenceClassification)
                        let reason = seq?.input == .pooled
                            ? "classifier.weight with no pooler is either \(token) or a \(sequence) without its pooler"
                            : "classifier.weight without classifier.dense is \(token) or \(family.className(.multipleChoice))"
                        throw ArchitectureError.ambiguousHead(file: file, reason: reason + ", and config.json has no `architectures` to say which")
                    }
                    claims.append((.sequenceClassification, example(nil, classifier: true)))
                }
            }
            if claims.isEmpty {
                head = has.mlm && has.nsp ? .preTraining : has.mlm ? .maskedLM : has.nsp ? .nextSentence : .none
            } else {
                guard claims.count == 1 else { throw ArchitectureError.unexplainedHeads(file: file, architecture: nil, tensors: claims.map(\.1)) }
                head = claims[0].0
            }
            guard family.has(head) else {
                throw ArchitectureError.ambiguousHead(file: file, reason: "the tensors (\(example(head == .nextSentence ? .nextSentence : .maskedLM))) "
                    + "make a \(head.rawValue) head, which \(family) has not, and config.json has no `architectures` to say otherwise")
            }
        }

        // Another task head's tensors are never carried: they would make the file two models.
        var unexplained: [String] = []
        if has.qa, head != .questionAnswering { unexplained.append(example(.questionAnswering)) }
        if has.classifier, head.classifierRows(c) == nil { unexplained.append(example(nil, classifier: true)) }
        if has.dense, head.classifierRows(c) != nil, family.layout(head).classifier?.dense == nil {
            unexplained.append(family.huggingFaceName(.classifierDenseWeight, head: .sequenceClassification))
        }
        if !unexplained.isEmpty {
            throw ArchitectureError.unexplainedHeads(file: file, architecture: family.className(head), tensors: unexplained)
        }
        let tied = c.tieWordEmbeddings
        var carried: [BertParameter] = []
        let usesPooler = family.usesPooler(head)
        if has.pooler, usesPooler == false { carried += [.pooler(.weight), .pooler(.bias)] }
        if has.mlm, !head.hasMaskedLM { carried += HeadKind.maskedLM.parameters(c, tied: tied).map(\.0) }
        if has.nsp, !head.hasNextSentence { carried += HeadKind.nextSentence.parameters(c, tied: tied).map(\.0) }
        return Architecture(modelType: c.modelType, head: head, pooler: usesPooler ?? has.pooler, tiedDecoder: tied,
                            carried: carried.sorted())
    }
}

public enum ArchitectureError: Error, Equatable, Sendable {
    /// `otherFamily`: the family whose class `found` is, when it is another's.
    case unsupportedArchitecture(file: String, found: String, family: String, modelType: String, otherFamily: String?, supported: [String])
    /// A class of the family bertkit refuses by name (`RobertaForCausalLM`), and why.
    case refusedArchitecture(file: String, found: String, reason: String, family: String, supported: [String])
    case severalArchitectures(file: String, names: [String])
    case ambiguousHead(file: String, reason: String)
    /// `architecture` nil: inferred from the tensors, which name two heads.
    case unexplainedHeads(file: String, architecture: String?, tensors: [String])
}

extension ArchitectureError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case let .unsupportedArchitecture(f, found, family, type, other?, supported):
            "\(f): architectures names \"\(found)\", a \(other) class, but model_type is \"\(type)\" (\(family)); \(family) classes: \(supported.joined(separator: ", "))"
        case let .unsupportedArchitecture(f, found, family, _, nil, supported):
            "\(f): architectures names \"\(found)\", which bertkit does not support for \(family); supported: \(supported.joined(separator: ", "))"
        case let .refusedArchitecture(f, found, reason, family, supported):
            "\(f): architectures names \"\(found)\", which bertkit does not support (\(reason)); \(family) classes: \(supported.joined(separator: ", "))"
        case let .severalArchitectures(f, names):
            "\(f): architectures lists \(names.count) classes (\(names.joined(separator: ", "))); a checkpoint has one head"
        case let .ambiguousHead(f, reason):
            "\(f): cannot tell the head: \(reason)"
        case let .unexplainedHeads(f, arch?, tensors):
            "\(f): the architecture is \(arch), but the weights also hold another head's tensors (\(tensors.joined(separator: ", ")))"
        case let .unexplainedHeads(f, nil, tensors):
            "\(f): the weights hold two heads (\(tensors.joined(separator: ", "))) and config.json has no `architectures` to say which is the model"
        }
    }
}
