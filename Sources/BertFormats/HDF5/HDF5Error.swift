import BertTensors
import Foundation

/// An HDF5 file bertkit will not read or write, naming the file and the dataset, group or link.
public enum HDF5Error: LocalizedError, Equatable, Codable {
    case notHDF5(path: String)
    case library(path: String, operation: String, object: String, message: String)
    case externalLink(path: String, link: String, target: String)
    case softLink(path: String, link: String, kind: String)
    case linkCycle(path: String, link: String)
    case tooManyObjects(path: String, limit: Int)
    case tooDeep(path: String, link: String, limit: Int)
    case virtualDataset(path: String, dataset: String)
    case externalStorage(path: String, dataset: String, files: Int)
    case unavailableFilter(path: String, dataset: String, filter: String, id: Int)
    case unsupportedType(path: String, dataset: String, type: String)
    case noData(path: String, dataset: String, why: String)
    case absurdShape(path: String, dataset: String, shape: [UInt64], why: String)
    case duplicateName(path: String, name: String, datasets: [String])
    case noDatasets(path: String)
    case missingAttribute(path: String, object: String, attribute: String)
    case badAttribute(path: String, object: String, attribute: String, why: String)
    case missingWeight(path: String, layer: String, weight: String)
    case missingLayer(path: String, layer: String)
    case notADataset(path: String, object: String)
    case conflictingCopies(path: String, weight: String, layers: [String])
    case cannotWrite(path: String, tensor: String, why: String)
    /// libhdf5 crashed or hung reading the file, in the child process that reads it (`HDF5Isolation`).
    case readerFailed(path: String, how: String)

    public var errorDescription: String? {
        switch self {
        case .notHDF5(let p):
            return "\(p): not an HDF5 file (no HDF5 signature)"
        case .library(let p, let op, let o, let m):
            let what = o.isEmpty ? "" : " \(o)"
            return "\(p): libhdf5 could not \(op)\(what)\(m.isEmpty ? "" : ": \(m)")"
        case .externalLink(let p, let l, let t):
            return "\(p): \(l) is an external link to \(t); bertkit reads only objects stored in the file itself"
                + "\n---> HINT: copy the linked datasets into the file (h5py: f.copy) and try again"
        case .softLink(let p, let l, let k):
            return "\(p): \(l) is a \(k) link; bertkit follows only hard links"
        case .linkCycle(let p, let l):
            return "\(p): group \(l) contains itself (a hard-link cycle)"
        case .tooManyObjects(let p, let n):
            return "\(p): more than \(n) objects; not a weights file"
        case .tooDeep(let p, let l, let n):
            return "\(p): \(l) is nested more than \(n) groups deep"
        case .virtualDataset(let p, let d):
            return "\(p): dataset \(d) is a virtual dataset (its data lives in other files); bertkit refuses it"
        case .externalStorage(let p, let d, let n):
            return "\(p): dataset \(d) keeps its data in \(n) external file\(n == 1 ? "" : "s"); bertkit refuses it"
        case .unavailableFilter(let p, let d, let f, let id):
            return "\(p): dataset \(d) is compressed with filter \(f) (id \(id)), which bertkit's libhdf5 does not have (plugins are off)"
                + "\n---> HINT: re-save it uncompressed or with gzip (h5py: compression='gzip')"
        case .unsupportedType(let p, let d, let t):
            return "\(p): dataset \(d) has type \(t); bertkit reads IEEE F16/BF16/F32/F64, integers and h5py's bool"
        case .noData(let p, let d, let w):
            return "\(p): dataset \(d) \(w)"
        case .absurdShape(let p, let d, let s, let w):
            return "\(p): dataset \(d) has shape \(s): \(w)"
        case .duplicateName(let p, let n, let ds):
            return "\(p): datasets \(ds.joined(separator: " and ")) both name the tensor \(n)"
        case .noDatasets(let p):
            return "\(p): the file holds no datasets"
        case .missingAttribute(let p, let o, let a):
            return "\(p): \(o) has no \(a) attribute, which a Keras weights file has"
                + "\n---> HINT: a HuggingFace tf_model.h5 lists its weights in a weight_names attribute on each layer group"
        case .badAttribute(let p, let o, let a, let w):
            return "\(p): attribute \(a) of \(o) \(w)"
        case .missingWeight(let p, let l, let w):
            return "\(p): layer \(l) lists weight \(w) in weight_names, but the file has no such dataset"
        case .missingLayer(let p, let l):
            return "\(p): layer_names lists layer \(l), but the file has no such group"
        case .notADataset(let p, let o):
            return "\(p): \(o) is not a dataset"
        case .conflictingCopies(let p, let w, let ls):
            return "\(p): weight \(w) is stored by layers \(ls.joined(separator: " and ")) with different values"
        case .cannotWrite(let p, let t, let w):
            return "\(p): cannot write tensor \(t): \(w) (nothing was left at \(p))"
        case .readerFailed(let p, let how):
            return "\(p): libhdf5 \(how) reading this file, which is malformed or hostile (bertkit reads HDF5 in a separate "
                + "process, so nothing else was affected)"
        }
    }
}
