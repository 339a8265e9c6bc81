import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML/SVG element tree, for tests that check pictures by structure and values.
public final class XMLNode {
    public let name: String
    public let attributes: [String: String]
    public var children: [XMLNode] = []
    public var text = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    /// Every element below (and including) this one with `name`.
    public func all(_ name: String) -> [XMLNode] {
        (self.name == name ? [self] : []) + children.flatMap { $0.all(name) }
    }

    /// Parses a document; throws with the parser's line on malformed XML.
    public static func parse(_ text: String) throws -> XMLNode {
        let b = Builder()
        let p = XMLParser(data: Data(text.utf8))
        p.delegate = b
        guard p.parse(), let root = b.root else {
            throw NSError(domain: "XML", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "malformed XML at line \(p.lineNumber): \(p.parserError?.localizedDescription ?? "?")"])
        }
        return root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLNode] = []
        var root: XMLNode?
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            let n = XMLNode(name: name, attributes: attributes)
            stack.last?.children.append(n)
            if root == nil { root = n }
            stack.append(n)
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { stack.last?.text += string }
    }
}
