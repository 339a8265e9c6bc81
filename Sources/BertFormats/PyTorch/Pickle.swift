import BertTensors
import Foundation

// A restricted unpickler for the `data.pkl` that torch.save writes (pickle protocol 2, as in
// torch/serialization.py `_save`). It decodes opcodes into plain values and never imports or calls
// anything: the only globals it accepts are the ones on `PickleGlobal`'s allow-list, and each is
// interpreted here by hand. Any other global is refused by name at the opcode that names it,
// before anything could be called. Learned from CPython's Lib/pickle.py (`_Unpickler`) and
// candle's candle-core/src/pickle.rs.

/// The globals a state dict needs, and nothing else.
enum PickleGlobal: Equatable {
    case orderedDict
    case rebuildTensorV2
    case storage(DType)

    /// `torch.FloatStorage` and friends, as `torch.save` names a storage's element type.
    static let storageTypes: [String: DType] = [
        "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16, "DoubleStorage": .f64,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool,
    ]

    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch", _):
            guard let d = Self.storageTypes[name] else { return nil }
            self = .storage(d)
        default: return nil
        }
    }
}

/// A storage named by a persistent id: `('storage', torch.FloatStorage, '0', 'cpu', numel)`.
struct StorageRef: Equatable {
    let key: String
    let dtype: DType
    let elementCount: Int
}

/// `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...)`, in elements.
struct TensorRef: Equatable {
    let storage: StorageRef
    let storageOffset: Int
    let shape: [Int]
    let strides: [Int]
}

/// What the restricted unpickler builds. Tuples, lists and dicts are indices into the document's
/// `PickleArena`, so no value owns another: however deep a hostile pickle nests, nothing is freed
/// recursively (a recursive enum of 30,000 nested lists overflowed the stack when it was freed),
/// and a list that contains itself (legal in pickle) is no cycle for reference counting.
enum PickleValue: Equatable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(Int)
    case list(Int)
    case dict(Int)
    case global(PickleGlobal)
    case storage(StorageRef)
    case tensor(TensorRef)

    var kind: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case .global: "global"
        case .storage: "storage"
        case .tensor: "tensor"
        }
    }
}

/// Every tuple, list and dict of one pickle, each with its nesting depth (1 for a container of
/// scalars). Lists and dicts change in place (APPEND, SETITEMS), and the memo shares them.
struct PickleArena {
    var tuples: [[PickleValue]] = []
    var lists: [[PickleValue]] = []
    var dicts: [[(key: PickleValue, value: PickleValue)]] = []
    var tupleDepths: [Int] = []
    var listDepths: [Int] = []
    var dictDepths: [Int] = []

    var count: Int { tuples.count + lists.count + dicts.count }

    /// How deep `v` nests containers: 0 for a scalar.
    func depth(_ v: PickleValue) -> Int {
        switch v {
        case .tuple(let i): tupleDepths[i]
        case .list(let i): listDepths[i]
        case .dict(let i): dictDepths[i]
        default: 0
        }
    }

    func tuple(_ v: PickleValue) -> [PickleValue]? { if case .tuple(let i) = v { tuples[i] } else { nil } }
    func list(_ v: PickleValue) -> [PickleValue]? { if case .list(let i) = v { lists[i] } else { nil } }
    func dict(_ v: PickleValue) -> [(key: PickleValue, value: PickleValue)]? { if case .dict(let i) = v { dicts[i] } else { nil } }
}

/// A decoded pickle: its value and the containers it refers to.
struct PickleDocument {
    let root: PickleValue
    let arena: PickleArena
}

/// Decodes a pickle without running it. `source` names the file and entry in errors.
struct PickleDecoder {
    let source: String
    private let bytes: UnsafeRawBufferPointer
    private var pos = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var arena = PickleArena()
    /// Where the current FRAME ends (protocol 4+); 0 outside frames.
    private var frameEnd = 0
    /// The offset of the opcode being decoded, for errors.
    private var at = 0

    // A state dict needs ~10 memo entries and ~5 containers per tensor, and its stack holds at
    // most one batch of 1,000 items (pickle.py `_BATCHSIZE`): these bounds allow ~25,000 tensors.
    static let maxStack = 1 << 18
    static let maxMemo = 1 << 18
    static let maxContainers = 1 << 18
    /// A state dict nests 3 deep (its `_metadata`); Python's own pickler stops near 1,000.
    static let maxDepth = 64

    init(bytes: UnsafeRawBufferPointer, source: String) {
        self.bytes = bytes
        self.source = source
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, source: String) throws -> PickleDocument {
        var d = PickleDecoder(bytes: bytes, source: source)
        let root = try d.run()
        return PickleDocument(root: root, arena: d.arena)
    }

    private mutating func run() throws -> PickleValue {
        while true {
            at = pos
            let op = try byte()
            switch op {
            case 0x80:  // PROTO
                let v = try byte()
                guard (2...5).contains(v) else { throw fail("pickle protocol \(v); torch.save writes protocol 2") }
            case 0x95:  // FRAME: the next n bytes hold whole opcodes (pickle.py `_Unframer`)
                let n = try length(8)
                guard pos >= frameEnd else { throw fail("a FRAME begins before the previous frame ends (at byte \(frameEnd))") }
                guard n <= bytes.count - pos else {
                    throw PickleError.truncated(source: source, offset: at, needed: n, available: bytes.count - pos)
                }
                frameEnd = pos + n
            case 0x2E:  // STOP
                guard let v = stack.popLast(), stack.isEmpty else { throw fail("STOP with \(stack.count) values on the stack") }
                return v
            case 0x28: marks.append(stack.count)  // MARK
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32: try push(try peek())  // DUP
            case 0x7D: try push(try newDict([]))  // EMPTY_DICT
            case 0x5D: try push(try newList([]))  // EMPTY_LIST
            case 0x29: try push(try newTuple([]))  // EMPTY_TUPLE
            case 0x74: try push(try newTuple(try popMark()))  // TUPLE
            case 0x85, 0x86, 0x87:  // TUPLE1..3
                let n = Int(op) - 0x84
                guard stack.count >= n + (marks.last ?? 0) else { throw fail("TUPLE\(n) needs \(n) values") }
                let items = Array(stack.suffix(n))
                stack.removeLast(n)
                try push(try newTuple(items))
            case 0x6C: try push(try newList(try popMark()))  // LIST
            case 0x64: try push(try newDict(try pairs(try popMark())))  // DICT
            case 0x61:  // APPEND
                let v = try pop()
                guard case .list(let l) = try peek() else { throw fail("APPEND to a \(try peek().kind)") }
                try append(l, [v])
            case 0x65:  // APPENDS
                let vs = try popMark()
                guard case .list(let l) = try peek() else { throw fail("APPENDS to a \(try peek().kind)") }
                try append(l, vs)
            case 0x73:  // SETITEM
                let v = try pop(), k = try pop()
                guard case .dict(let d) = try peek() else { throw fail("SETITEM on a \(try peek().kind)") }
                try setItems(d, [(k, v)])
            case 0x75:  // SETITEMS
                let kv = try popMark()
                guard case .dict(let d) = try peek() else { throw fail("SETITEMS on a \(try peek().kind)") }
                try setItems(d, try pairs(kv))
            case 0x4A: try push(.int(Int(Int32(bitPattern: try uint(4)))))  // BININT
            case 0x4B: try push(.int(Int(try byte())))  // BININT1
            case 0x4D: try push(.int(Int(try uint(2))))  // BININT2
            case 0x8A: try push(.int(try long(Int(try byte()))))  // LONG1
            case 0x8B: try push(.int(try long(try length(4))))  // LONG4
            case 0x47: try push(.float(Double(bitPattern: UInt64(bigEndian: try read(8).loadUnaligned(as: UInt64.self)))))
            case 0x58: try push(.string(try text(try length(4))))  // BINUNICODE
            case 0x8C: try push(.string(try text(Int(try byte()))))  // SHORT_BINUNICODE
            case 0x8D: try push(.string(try text(try length(8))))  // BINUNICODE8
            case 0x54: try push(.string(try text(try length(4))))  // BINSTRING (Python 2 str)
            case 0x55: try push(.string(try text(Int(try byte()))))  // SHORT_BINSTRING
            case 0x42: try push(.bytes(Array(try read(try length(4)))))  // BINBYTES
            case 0x43: try push(.bytes(Array(try read(Int(try byte())))))  // SHORT_BINBYTES
            case 0x8E: try push(.bytes(Array(try read(try length(8)))))  // BINBYTES8
            case 0x4E: try push(.none)
            case 0x88: try push(.bool(true))
            case 0x89: try push(.bool(false))
            case 0x71: try put(Int(try byte()))  // BINPUT
            case 0x72: try put(try length(4))  // LONG_BINPUT
            case 0x94: try put(memo.count)  // MEMOIZE
            case 0x68: try get(Int(try byte()))  // BINGET
            case 0x6A: try get(try length(4))  // LONG_BINGET
            case 0x63:  // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                try push(.global(try allowed(module, name)))
            case 0x93:  // STACK_GLOBAL
                let n = try pop(), m = try pop()
                guard case .string(let name) = n, case .string(let module) = m else {
                    throw fail("STACK_GLOBAL needs two strings, found \(m.kind) and \(n.kind)")
                }
                try push(.global(try allowed(module, name)))
            case 0x69:  // INST "module\nname\n": imports and calls a class, never allowed
                let module = try line(), name = try line()
                _ = try allowed(module, name)
                throw fail("opcode INST (\(module).\(name)) is not supported")
            case 0x52:  // REDUCE
                let args = try pop(), callable = try pop()
                try push(try reduce(callable, args))
            case 0x62:  // BUILD
                let state = try pop()
                guard case .dict = try peek() else { throw fail("BUILD on a \(try peek().kind): only a state dict's metadata may be set") }
                _ = state  // OrderedDict `_metadata` (per-module versions): not needed
            case 0x51:  // BINPERSID
                try push(try persistentLoad(try pop()))
            default:
                throw PickleError.unsupportedOpcode(source: source, opcode: op, offset: at)
            }
        }
    }

    // MARK: - Containers

    private mutating func containerSlot() throws {
        guard arena.count < Self.maxContainers else { throw fail("more than \(Self.maxContainers) tuples, lists and dicts") }
    }

    /// 1 + the deepest of `items`, refused past `maxDepth`.
    private func depth(holding items: [PickleValue]) throws -> Int {
        let d = 1 + items.reduce(0) { max($0, arena.depth($1)) }
        guard d <= Self.maxDepth else { throw PickleError.tooDeep(source: source, offset: at, limit: Self.maxDepth) }
        return d
    }

    private mutating func newTuple(_ items: [PickleValue]) throws -> PickleValue {
        try containerSlot()
        arena.tupleDepths.append(try depth(holding: items))
        arena.tuples.append(items)
        return .tuple(arena.tuples.count - 1)
    }

    private mutating func newList(_ items: [PickleValue]) throws -> PickleValue {
        try containerSlot()
        arena.listDepths.append(try depth(holding: items))
        arena.lists.append(items)
        return .list(arena.lists.count - 1)
    }

    private mutating func newDict(_ items: [(key: PickleValue, value: PickleValue)]) throws -> PickleValue {
        try containerSlot()
        arena.dictDepths.append(try depth(holding: items.flatMap { [$0.key, $0.value] }))
        arena.dicts.append(items)
        return .dict(arena.dicts.count - 1)
    }

    /// In place, as the memo may share the list. A container's depth only grows as items are
    /// added; one already inside another does not update its parents, so the limit bounds how
    /// deep a pickle builds, not the longest path through shared containers (which nothing walks).
    private mutating func append(_ l: Int, _ items: [PickleValue]) throws {
        arena.listDepths[l] = max(arena.listDepths[l], try depth(holding: items))
        arena.lists[l] += items
    }

    private mutating func setItems(_ d: Int, _ items: [(key: PickleValue, value: PickleValue)]) throws {
        arena.dictDepths[d] = max(arena.dictDepths[d], try depth(holding: items.flatMap { [$0.key, $0.value] }))
        arena.dicts[d] += items
    }

    private func pairs(_ kv: [PickleValue]) throws -> [(key: PickleValue, value: PickleValue)] {
        guard kv.count % 2 == 0 else { throw fail("SETITEMS with an odd number (\(kv.count)) of keys and values") }
        return stride(from: 0, to: kv.count, by: 2).map { (kv[$0], kv[$0 + 1]) }
    }

    // MARK: - Globals, calls and persistent ids

    private func allowed(_ module: String, _ name: String) throws -> PickleGlobal {
        guard let g = PickleGlobal(module: module, name: name) else {
            throw PickleError.forbiddenGlobal(source: source, module: module, name: name, offset: at)
        }
        return g
    }

    private mutating func reduce(_ callable: PickleValue, _ args: PickleValue) throws -> PickleValue {
        guard case .global(let g) = callable else { throw fail("REDUCE calls a \(callable.kind), not an allowed global") }
        guard let a = arena.tuple(args) else { throw fail("REDUCE arguments are a \(args.kind), not a tuple") }
        switch g {
        case .orderedDict:
            guard a.isEmpty else { throw fail("collections.OrderedDict called with \(a.count) arguments; expected none") }
            return try newDict([])
        case .rebuildTensorV2:
            return .tensor(try rebuildTensor(a))
        case .storage:
            throw fail("a storage class is called directly; storages may only come from persistent ids")
        }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`.
    private func rebuildTensor(_ a: [PickleValue]) throws -> TensorRef {
        guard a.count == 6 || a.count == 7 else { throw fail("_rebuild_tensor_v2 called with \(a.count) arguments; expected 6 or 7") }
        guard case .storage(let s) = a[0] else { throw fail("_rebuild_tensor_v2: argument 1 is a \(a[0].kind), not a storage") }
        guard case .int(let offset) = a[1] else { throw fail("_rebuild_tensor_v2: storage_offset is a \(a[1].kind)") }
        let shape = try ints(a[2], "size"), strides = try ints(a[3], "stride")
        guard case .bool = a[4] else { throw fail("_rebuild_tensor_v2: requires_grad is a \(a[4].kind)") }
        guard let hooks = arena.dict(a[5]), hooks.isEmpty else { throw fail("_rebuild_tensor_v2: backward_hooks must be an empty dict") }
        return TensorRef(storage: s, storageOffset: offset, shape: shape, strides: strides)
    }

    private func ints(_ v: PickleValue, _ what: String) throws -> [Int] {
        guard let t = arena.tuple(v) else { throw fail("_rebuild_tensor_v2: \(what) is a \(v.kind), not a tuple") }
        return try t.map {
            guard case .int(let i) = $0 else { throw fail("_rebuild_tensor_v2: \(what) holds a \($0.kind)") }
            return i
        }
    }

    /// torch.save's persistent id for a storage: `('storage', storage_type, key, location, numel)`.
    private func persistentLoad(_ pid: PickleValue) throws -> PickleValue {
        guard let t = arena.tuple(pid), t.count == 5, case .string("storage") = t[0] else {
            throw fail("persistent id is not ('storage', type, key, location, numel)")
        }
        guard case .global(.storage(let dtype)) = t[1] else { throw fail("persistent id names a \(t[1].kind), not a torch storage type") }
        guard case .string(let key) = t[2], case .string = t[3], case .int(let n) = t[4], n >= 0 else {
            throw fail("persistent id fields are not (key: str, location: str, numel: int ≥ 0)")
        }
        return .storage(StorageRef(key: key, dtype: dtype, elementCount: n))
    }

    // MARK: - Stack and memo

    private mutating func push(_ v: PickleValue) throws {
        guard stack.count < Self.maxStack else { throw fail("more than \(Self.maxStack) values on the stack") }
        stack.append(v)
    }

    private mutating func pop() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let v = stack.popLast() else { throw fail("stack underflow") }
        return v
    }

    private func peek() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let v = stack.last else { throw fail("stack underflow") }
        return v
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let m = marks.popLast() else { throw fail("no MARK to pop to") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    private mutating func put(_ i: Int) throws {
        guard i < Self.maxMemo, memo.count < Self.maxMemo else { throw fail("memo index \(i) is too large") }
        memo[i] = try peek()
    }

    private mutating func get(_ i: Int) throws {
        guard let v = memo[i] else { throw fail("memo index \(i) was never stored") }
        try push(v)
    }

    // MARK: - Reading bytes

    /// `n` bytes; inside a frame they must not run past its end, as pickle.py refuses.
    private mutating func read(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, n <= bytes.count - pos else {
            throw PickleError.truncated(source: source, offset: at, needed: n, available: bytes.count - pos)
        }
        if pos < frameEnd, n > frameEnd - pos { throw fail("an opcode runs past the end of its frame (at byte \(frameEnd))") }
        defer { pos += n }
        return UnsafeRawBufferPointer(rebasing: bytes[pos..<pos + n])
    }

    private mutating func byte() throws -> UInt8 { try read(1)[0] }

    private mutating func uint(_ n: Int) throws -> UInt32 {
        try read(n).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// An unsigned length or memo index of `n` bytes (4 or 8); `read` bounds lengths by what remains.
    private mutating func length(_ n: Int) throws -> Int {
        Int(clamping: try read(n).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    /// A little-endian two's-complement integer of `n` bytes; only values that fit in 64 bits.
    private mutating func long(_ n: Int) throws -> Int {
        guard n <= 8 else { throw fail("integer of \(n) bytes is too large") }
        let b = try read(n)
        guard n > 0 else { return 0 }
        var v = UInt64(0)
        for i in (0..<n).reversed() { v = v << 8 | UInt64(b[i]) }
        if n < 8, b[n - 1] & 0x80 != 0 { v |= ~UInt64(0) << UInt64(8 * n) }
        return Int(Int64(bitPattern: v))
    }

    private mutating func text(_ n: Int) throws -> String {
        guard let s = String(validating: try read(n), as: UTF8.self) else { throw fail("string is not UTF-8") }
        return s
    }

    /// A newline-terminated line of at most 256 bytes (GLOBAL's module and name).
    private mutating func line() throws -> String {
        let start = pos
        while pos < bytes.count, bytes[pos] != 0x0A {
            pos += 1
            guard pos - start <= Self.maxGlobalName else { throw fail("GLOBAL name longer than \(Self.maxGlobalName) bytes") }
        }
        guard pos < bytes.count else { throw PickleError.truncated(source: source, offset: at, needed: 1, available: 0) }
        if pos < frameEnd, pos + 1 > frameEnd { throw fail("an opcode runs past the end of its frame (at byte \(frameEnd))") }
        defer { pos += 1 }
        guard let s = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self) else {
            throw fail("GLOBAL name is not UTF-8")
        }
        return s
    }

    static let maxGlobalName = 256

    private func fail(_ what: String) -> PickleError { .malformed(source: source, what: what, offset: at) }
}

/// A pickle bertkit will not decode, naming the file, the entry and the byte offset.
public enum PickleError: LocalizedError, Equatable {
    case forbiddenGlobal(source: String, module: String, name: String, offset: Int)
    case unsupportedOpcode(source: String, opcode: UInt8, offset: Int)
    case malformed(source: String, what: String, offset: Int)
    case truncated(source: String, offset: Int, needed: Int, available: Int)
    case tooDeep(source: String, offset: Int, limit: Int)

    public var errorDescription: String? {
        switch self {
        case .forbiddenGlobal(let s, let m, let n, let o):
            return "\(s): the pickle names the global \(m).\(n) (at byte \(o)), which is not on bertkit's allow-list; nothing was run"
                + "\n---> HINT: a state dict needs only collections.OrderedDict, torch._utils._rebuild_tensor_v2 and torch.*Storage."
                + " A file that names other globals holds more than weights (or is malicious); save model.state_dict() instead"
        case .unsupportedOpcode(let s, let op, let o):
            return "\(s): pickle opcode 0x\(String(op, radix: 16)) at byte \(o) is not supported (torch.save writes protocol 2)"
        case .malformed(let s, let w, let o):
            return "\(s): malformed pickle at byte \(o): \(w)"
        case .truncated(let s, let o, let n, let a):
            return "\(s): the pickle is cut short at byte \(o): \(n) more bytes needed, \(a) left"
        case .tooDeep(let s, let o, let l):
            return "\(s): the pickle nests tuples, lists and dicts deeper than \(l) levels (at byte \(o)); a state dict nests 3"
        }
    }
}
