/// A generated scenario of any size, for measuring how loading and validation scale.
public enum SyntheticScenario {
    /// A scenario with `requests` SQE steps written out one by one (no repeat block): reads, writes and
    /// nops with ids, links every few steps, inline expectations, a submit every 64 requests and an
    /// order over the first thousand ids.
    public static func text(requests: Int) -> String {
        var text = """
        name: synthetic scenario with \(requests) SQEs
        ring: { entries: 4096 }
        resources:
          data: { file: { content: "0123456789abcdef" } }
          buf: { buffer: { size: 64 } }
        steps:

        """
        text.reserveCapacity(requests * 64)
        for index in 0..<requests {
            let link = index % 4 == 1 && (index + 1) % 64 != 0 && index + 1 < requests ? "\n    link: true" : ""
            switch index % 3 {
            case 0: text += "  - read: { fd: data, buf: buf, len: 16, offset: 0 }\n    id: s\(index)\(link)\n"
            case 1: text += "  - write: { fd: data, buf: buf, len: 8, offset: 32 }\n    id: s\(index)\(link)\n"
            default: text += "  - nop: {}\n    id: s\(index)\(link)\n    expect: 0\n"
            }
            if (index + 1) % 64 == 0 { text += "  - submit\n" }
        }
        text += "expect:\n  order: [" + (0..<min(requests, 1000)).map { "s\($0)" }.joined(separator: ", ") + "]\n"
        return text
    }
}
