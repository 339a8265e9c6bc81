import BertFormats
import BertTensors

/// One f32 allocation holding every parameter (or every gradient, or an optimizer moment) with a
/// view per name. Owns its memory; 64-byte aligned.
public final class ParameterStore: @unchecked Sendable {
    public let layout: ParameterLayout
    public let base: UnsafeMutablePointer<Float>

    /// Zero-filled.
    public init(layout: ParameterLayout) {
        self.layout = layout
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(layout.count, 1) * 4, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(layout.count, 1))
        base.initialize(repeating: 0, count: max(layout.count, 1))
    }

    deinit { base.deallocate() }

    public var count: Int { layout.count }

    /// Bumped by whoever changes the values after loading (`didChange`, called by each training
    /// step), so copies derived from them (the packed weights of the small-M GEMM) know to remake.
    public private(set) var version = 0
    public func didChange() { version &+= 1 }

    /// The view of one parameter.
    public subscript(p: BertParameter) -> UnsafeMutablePointer<Float> { base + layout.offset(of: p) }

    /// The view of a parameter the model may lack (a tied decoder, a carried head).
    public func ifPresent(_ p: BertParameter) -> UnsafeMutablePointer<Float>? { layout[p].map { base + $0.offset } }

    /// A copy of one parameter's values.
    public func values(_ p: BertParameter) -> [Float] {
        guard let e = layout[p] else { return [] }
        return Array(UnsafeBufferPointer(start: base + e.offset, count: e.count))
    }

    /// A copy of one parameter's values, by canonical name (files, tests).
    public func values(_ name: String) -> [Float] { BertParameter(name: name).map { values($0) } ?? [] }

    /// Fills every parameter from a checkpoint, widening f16/bf16 to f32. Pages of a mapped file
    /// are let go once copied, so the file and the f32 copy are not both resident.
    public func load(from checkpoint: Checkpoint) throws {
        var tensors: [String: RawTensor] = [:]
        for (n, t) in checkpoint.parameters { tensors[n] = t }
        for e in layout.entries {
            guard let t = tensors[e.name] else { throw ModelError.missingParameter(e.name) }
            guard t.shape == e.shape else { throw ModelError.parameterShape(name: e.name, expected: e.shape, found: t.shape) }
            t.copyFloats(into: base + e.offset)
            t.storage.dropPages(offset: t.offset, length: t.byteCount)
        }
    }
}
