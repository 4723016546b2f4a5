extension ScenarioBuilder {
    /// The body of an `unbound_socket` or `fifo` resource, or nil for another kind.
    func readSocketOrFifo(_ kind: String, name: String, _ pairs: YAMLPairs, _ body: YAMLNode) -> ResourceKind?? {
        let context = "\(kind) '\(name)'"
        switch kind {
        case "unbound_socket":
            let keys = checkKeys(pairs, allowed: ResourceTable.keys(of: kind), in: context)
            guard let domainPair = keys["domain"], let typePair = keys["type"] else {
                error(body.mark, "\(context) needs 'domain' (AF_INET, AF_INET6, AF_UNIX) and 'type' (SOCK_STREAM, SOCK_DGRAM…)")
                return .some(nil)
            }
            guard let domain = readConstants(domainPair.value, .addressFamilies, what: "'domain'"),
                  let type = readConstants(typePair.value, .socketTypes, what: "'type'") else { return .some(nil) }
            if let refusal = SandboxRules.domainRefusal(domain.value, allowsNetwork: allowsNetwork) {
                error(domainPair.value.mark, refusal)
            }
            let proto = keys["protocol"].flatMap { readConstants($0.value, .protocols, what: "'protocol'") }
                ?? NamedValue(value: 0)
            let nonblocking = keys["nonblocking"].flatMap { bool($0.value, "'nonblocking'") } ?? false
            return .some(.unboundSocket(UnboundSocketResource(domain: domain, type: type, proto: proto, nonblocking: nonblocking)))
        case "fifo":
            let keys = checkKeys(pairs, allowed: ResourceTable.keys(of: kind), in: context)
            var path = name
            if let pair = keys["path"], let text = pathString(pair.value, "'path'") {
                checkSandbox(path: text, at: pair.value.mark, what: "path")
                path = text
            }
            let mode = keys["mode"].flatMap { unsigned($0.value, "'mode'", bits: 12) }.map(UInt32.init) ?? 0o600
            let nonblocking = keys["nonblocking"].flatMap { bool($0.value, "'nonblocking'") } ?? false
            return .some(.fifo(FifoResource(path: path, mode: mode, nonblocking: nonblocking)))
        default:
            return nil
        }
    }

    /// The stand-in for an `unbound_socket` or `fifo` before its body is read, or nil for another kind.
    static func socketOrFifoPlaceholder(_ kind: String) -> ResourceKind? {
        switch kind {
        case "unbound_socket":
            return .unboundSocket(UnboundSocketResource(domain: NamedValue(value: 2), type: NamedValue(value: 1),
                                                        proto: NamedValue(value: 0), nonblocking: false))
        case "fifo": return .fifo(FifoResource(path: "", mode: 0o600, nonblocking: false))
        default: return nil
        }
    }
}
